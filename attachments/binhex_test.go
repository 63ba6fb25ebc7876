package attachments

import (
	"bytes"
	"encoding/binary"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// binhexEncode writes a BinHex 4.0 file from RFC 1741 Appendix A, independently of the
// decoder: header, data fork and resource fork each followed by its CRC, run-length
// encoding of runs longer than three bytes (and of every 0x90), then 6-bit characters
// in 64-character lines between colons.
func binhexEncode(name, typ, creator string, data, rsrc []byte) string {
	return binhexEncodeCRC(name, typ, creator, data, rsrc, false)
}

// binhexEncodeCRC is binhexEncode, with a wrong header CRC when badCRC.
func binhexEncodeCRC(name, typ, creator string, data, rsrc []byte, badCRC bool) string {
	var plain []byte
	crc := func(b []byte) []byte {
		// Bitwise CRC-CCITT (XMODEM), written out again here.
		var c uint16
		for _, x := range b {
			for i := 7; i >= 0; i-- {
				bit := (x>>uint(i))&1 == 1
				top := c&0x8000 != 0
				c <<= 1
				if top != bit {
					c ^= 0x1021
				}
			}
		}
		return binary.BigEndian.AppendUint16(nil, c)
	}
	hdr := []byte{byte(len(name))}
	hdr = append(hdr, name...)
	hdr = append(hdr, 0)
	hdr = append(hdr, typ...)
	hdr = append(hdr, creator...)
	hdr = binary.BigEndian.AppendUint16(hdr, 0)
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(data)))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(len(rsrc)))
	plain = append(plain, hdr...)
	hc := crc(hdr)
	if badCRC {
		hc[1] ^= 1
	}
	plain = append(plain, hc...)
	plain = append(plain, data...)
	plain = append(plain, crc(data)...)
	plain = append(plain, rsrc...)
	plain = append(plain, crc(rsrc)...)

	var rle []byte
	for i := 0; i < len(plain); {
		c := plain[i]
		n := 1
		for i+n < len(plain) && plain[i+n] == c && n < 255 {
			n++
		}
		if c == 0x90 {
			rle = append(rle, 0x90, 0x00)
		} else {
			rle = append(rle, c)
		}
		switch {
		case n > 3:
			rle = append(rle, 0x90, byte(n))
		default:
			for range n - 1 {
				if c == 0x90 {
					rle = append(rle, 0x90, 0x00)
				} else {
					rle = append(rle, c)
				}
			}
		}
		i += n
	}

	const alphabet = "!\"#$%&'()*+,-012345689@ABCDEFGHIJKLMNPQRSTUVXYZ[`abcdefhijklmpqr"
	var chars []byte
	for i := 0; i < len(rle); i += 3 {
		var g [3]byte
		k := copy(g[:], rle[i:])
		v := uint32(g[0])<<16 | uint32(g[1])<<8 | uint32(g[2])
		out := []byte{alphabet[v>>18&63], alphabet[v>>12&63], alphabet[v>>6&63], alphabet[v&63]}
		chars = append(chars, out[:k+1]...)
	}
	var b strings.Builder
	b.WriteString("(This file must be converted with BinHex 4.0)\r\n\r\n:")
	line := 1
	for _, c := range chars {
		if line == 64 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteByte(c)
		line++
	}
	b.WriteString(":\r\n")
	return b.String()
}

func TestBinHexCRCIsXMODEM(t *testing.T) {
	var crc uint16
	for _, c := range []byte("123456789") {
		crc = crcStep(crc, c)
	}
	assert.Equal(t, uint16(0x31C3), crc, "the CRC-16/XMODEM check value")
}

func TestDecodeBinHexHeader(t *testing.T) {
	data := append(append(bytes.Repeat([]byte{'A'}, 300), 0x90, 0x90, 0x01, 0x90), peBytes()...)
	text := binhexEncode("Setup Installer.exe", "APPL", "????", data, []byte("resource fork"))
	require.Contains(t, text, "\r\n", "the data is split into lines")

	h, fork, err := DecodeBinHexHeader(strings.NewReader("Some mail text\r\n" + text))
	require.NoError(t, err)
	assert.Equal(t, "Setup Installer.exe", h.Name)
	assert.Equal(t, "APPL", h.Type)
	assert.Equal(t, "????", h.Creator)
	assert.Equal(t, uint32(len(data)), h.DataLength)
	assert.Equal(t, uint32(len("resource fork")), h.ResourceLength)
	assert.True(t, h.CRCValid)
	got, err := io.ReadAll(fork)
	require.NoError(t, err)
	assert.Equal(t, data, got, "runs and literal 0x90 bytes are expanded")

	t.Run("a damaged header CRC is reported, and the name still read", func(t *testing.T) {
		h, _, err := DecodeBinHexHeader(strings.NewReader(binhexEncodeCRC("Setup.exe", "APPL", "????", []byte("x"), nil, true)))
		require.NoError(t, err)
		assert.False(t, h.CRCValid)
		assert.Equal(t, "Setup.exe", h.Name)
	})

	for _, tc := range []struct{ name, in string }{
		{"text with no data line is not BinHex", "(This file must be converted with BinHex 4.0)\r\nno colon\r\n"},
		{"a header cut short is truncated", "(This file must be converted with BinHex 4.0)\r\n:%8P:\r\n"},
		{"a zero name length is rejected", "(This file must be converted with BinHex 4.0)\r\n:!!!!:\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := DecodeBinHexHeader(strings.NewReader(tc.in))
			assert.Error(t, err)
		})
	}
}

func binhexMessage(name string, data []byte) string {
	return message(textPart("See the attached tool.\r\n"),
		"Content-Type: application/mac-binhex40; name=\"tools.hqx\"\r\nContent-Disposition: attachment; filename=\"tools.hqx\"\r\n\r\n"+
			binhexEncode(name, "APPL", "????", data, nil))
}

func TestBinHexAttachments(t *testing.T) {
	t.Run("an executable inside a mac-binhex40 part is rejected under its BinHex name", func(t *testing.T) {
		res := scan(t, binhexMessage("setup.exe", peBytes()), WithReceivers("infomaniak", "gmail"))
		require.Len(t, res.Attachments, 1)
		part := res.Attachments[0]
		assert.Equal(t, []string{"tools.hqx"}, part.Names)
		require.Len(t, part.Contents, 1)
		inner := part.Contents[0]
		assert.Equal(t, "binhex", inner.Source)
		assert.Equal(t, "setup.exe", inner.Entry)
		assert.Equal(t, TypePE, inner.Type)
		assert.Equal(t, int64(len(peBytes())), inner.Size)
		assert.True(t, res.Rejected())
		assert.Contains(t, codes(res), "attachments.forbidden")
		assert.Contains(t, findingsWith(res, "attachments.forbidden")[0].Message, "(BinHex) setup.exe")
	})
	t.Run("an executable renamed .pdf inside BinHex is caught by its content", func(t *testing.T) {
		res := scan(t, binhexMessage("report.pdf", peBytes()), WithReceivers("gmail"))
		assert.True(t, res.Rejected())
		assert.Contains(t, codes(res), "attachments.type-mismatch")
	})
	t.Run("BinHex in a text body is found like uuencode", func(t *testing.T) {
		msg := message(textPart("Here it is:\r\n\r\n" + binhexEncode("run.bat", "TEXT", "ttxt", []byte("@echo off\r\n"), nil) + "\r\nBye\r\n"))
		res := scan(t, msg)
		require.Len(t, res.Attachments, 1)
		assert.Equal(t, "binhex", res.Attachments[0].Source)
		assert.Equal(t, "run.bat", res.Attachments[0].Entry)
		assert.True(t, res.Rejected())
	})
	t.Run("a BinHex document passes every receiver", func(t *testing.T) {
		res := scan(t, binhexMessage("report.pdf", pdfBytes), WithReceivers("all"))
		assert.False(t, res.Rejected())
		assert.Empty(t, res.Findings)
		require.Len(t, res.Attachments, 1)
		require.Len(t, res.Attachments[0].Contents, 1)
		assert.Equal(t, TypePDF, res.Attachments[0].Contents[0].Type)
	})
	t.Run("undecodable BinHex is reported as malformed", func(t *testing.T) {
		msg := message("Content-Type: application/mac-binhex40; name=\"x.hqx\"\r\n\r\n(This file must be converted with BinHex 4.0)\r\nno data\r\n")
		res := scan(t, msg)
		assert.Equal(t, []string{"attachments.archive-malformed"}, codes(res))
	})
}

// FuzzDecodeBinHex: any input decodes without panic, never yields more of the data
// fork than the header declares, and a file encoded from the input's bytes decodes
// back to them (name, fork, valid CRC).
func FuzzDecodeBinHex(f *testing.F) {
	f.Add([]byte(binhexEncode("setup.exe", "APPL", "????", peBytes(), []byte("r"))))
	f.Add([]byte(binhexEncode("a", "TEXT", "ttxt", bytes.Repeat([]byte{0x90}, 600), nil)))
	f.Add([]byte("(This file must be converted with BinHex 4.0)\r\n:!!!!:\r\n"))
	f.Add([]byte(":\x90\x90\x90"))
	f.Fuzz(func(t *testing.T, data []byte) {
		h, fork, err := DecodeBinHexHeader(bytes.NewReader(data))
		if err == nil {
			n, _ := io.Copy(io.Discard, fork)
			if n > int64(h.DataLength) {
				t.Fatalf("fork of %d bytes, header declares %d", n, h.DataLength)
			}
			if len(h.Name) == 0 || len(h.Name) > 63 {
				t.Fatalf("name of %d bytes accepted", len(h.Name))
			}
		}
		name := "f"
		if len(data) > 0 && len(data) <= 63 {
			name = string(data)
		}
		enc := binhexEncode(name, "TYPE", "CRTR", data, data)
		h, fork, err = DecodeBinHexHeader(strings.NewReader(enc))
		if err != nil {
			t.Fatalf("own encoding not decoded: %v", err)
		}
		got, _ := io.ReadAll(fork)
		if h.Name != name || !bytes.Equal(got, data) || !h.CRCValid {
			t.Fatalf("round trip: name %q→%q, %d→%d bytes, crc valid %v", name, h.Name, len(data), len(got), h.CRCValid)
		}
	})
}
