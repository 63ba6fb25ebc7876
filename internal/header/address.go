package header

import (
	"io"
	"mime"
	"net/mail"
	"unicode/utf8"
)

// addressParser decodes RFC 2047 encoded words in any charset without converting
// them: only the addresses matter here, and a display name in a charset the
// standard library does not know (iso-8859-2, gb2312, ...) must not make the field
// unparseable, as receivers do not reject it.
var addressParser = mail.AddressParser{WordDecoder: &mime.WordDecoder{
	CharsetReader: func(_ string, r io.Reader) (io.Reader, error) { return r, nil },
}}

// Addresses parses an address-list field body (From, To, ...) the way receivers read
// one. Raw UTF-8 is RFC 6532 and net/mail reads it; raw 8-bit text in another charset
// (Latin-1 display names from old clients, which receivers accept) is not UTF-8, so it
// is read again as Latin-1, where every byte is a character: the addresses come out
// the same bytes-for-characters, which is what a domain check needs.
func Addresses(v string) ([]*mail.Address, error) {
	list, err := addressParser.ParseList(v)
	if err != nil && !utf8.ValidString(v) {
		if again, err2 := addressParser.ParseList(latin1(v)); err2 == nil {
			return again, nil
		}
	}
	return list, err
}

func latin1(s string) string {
	r := make([]rune, len(s))
	for i := range len(s) {
		r[i] = rune(s[i])
	}
	return string(r)
}
