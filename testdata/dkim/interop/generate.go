//go:build ignore

// generate.go builds the hand-signed and derived part of the DKIM interop corpus and
// the zone that publishes its keys. It signs with the standard library only (no
// go-msgauth), following RFC 6376 §3.4 (canonicalization), §3.7 (hashes) and §5.4.2
// (header field selection), and RFC 8463 §3 for Ed25519, so it is an implementation
// independent of the verifier under test. See README.md for the whole procedure.
//
//	go run testdata/dkim/interop/generate.go -keys DIR -mailauth DIR -out testdata/dkim/interop -zone testdata/zones/dkim-interop.zone
package main

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

var (
	keyDir      = flag.String("keys", "", "directory with rsa1024.pem, rsa2048.pem, ed25519.pem, ed25519-other.pem (PKCS#8)")
	mailauthDir = flag.String("mailauth", "", "directory with the messages mailauth signed")
	outDir      = flag.String("out", "testdata/dkim/interop", "corpus directory")
	zonePath    = flag.String("zone", "testdata/zones/dkim-interop.zone", "zone file to write")
)

func main() {
	flag.Parse()
	keys := map[string]crypto.Signer{}
	for _, n := range []string{"rsa1024", "rsa2048", "ed25519", "ed25519-other"} {
		keys[n] = readKey(filepath.Join(*keyDir, n+".pem"))
	}
	writeZone(keys)

	// Copy mailauth's output as it is.
	mailauth, err := filepath.Glob(filepath.Join(*mailauthDir, "*.eml"))
	check(err)
	for _, p := range mailauth {
		b, err := os.ReadFile(p)
		check(err)
		write(filepath.Base(p), string(b))
	}

	// Hand-signed: what mailauth cannot produce (it signs each present field once and
	// writes no i=).
	plain := func(id string) string {
		return baseHeader(id, "") + "\r\n" + "Hello Bob,\r\n\r\nthe numbers are attached.\r\n"
	}
	rs := keys["rsa2048"]
	write("oversigned-from.eml", sign(plain("oversigned-from"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed/relaxed",
		h: []string{"from", "from", "to", "subject", "date", "message-id"}}))
	write("absent-header-signed.eml", sign(plain("absent-header-signed"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed/relaxed",
		h: []string{"from", "to", "subject", "date", "reply-to", "message-id"}}))
	write("identity-subdomain.eml", sign(plain("identity-subdomain"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed/relaxed",
		i: "bounces@mail.example.com", h: []string{"from", "to", "subject", "date", "message-id"}}))
	write("identity-subdomain-strict-key.eml", sign(plain("identity-subdomain-strict-key"), sig{key: rs, s: "strict", d: "example.com", c: "relaxed/relaxed",
		i: "bounces@mail.example.com", h: []string{"from", "to", "subject", "date", "message-id"}}))
	write("identity-outside-domain.eml", sign(plain("identity-outside-domain"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed/relaxed",
		i: "alice@example.org", h: []string{"from", "to", "subject", "date", "message-id"}}))
	write("ed25519-hand-simple-simple.eml", sign(plain("ed25519-hand-simple-simple"), sig{key: keys["ed25519"], s: "ed25519", d: "example.com", c: "simple/simple",
		h: []string{"from", "to", "subject", "date", "message-id"}}))

	// The same 8-bit header as utf8-a0-byte-relaxed-relaxed.eml (報 is E5 A0 B1),
	// canonicalized as RFC 6376 §3.4.2 says: only SP and HTAB are whitespace.
	utf8 := strings.Replace(plain("utf8-hand-relaxed-relaxed"), "Subject: Quarterly numbers", "Subject: Überweisung für Zoë — 月次報告", 1)
	utf8 = strings.Replace(utf8, "Hello Bob,", "Grüße aus Köln, 你好，世界。", 1)
	write("utf8-hand-relaxed-relaxed.eml", sign(utf8, sig{key: keys["ed25519"], s: "ed25519", d: "example.com", c: "relaxed/relaxed",
		h: []string{"from", "to", "subject", "date", "message-id"}}))

	// RFC 5321 local parts may hold "=" (VERP writes bob@example.org as
	// bob=example.org), so "b=" can occur in i= without being the b= tag.
	write("identity-local-part-b-equals.eml", sign(plain("identity-local-part-b-equals"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed/relaxed",
		i: "bounce-bob=example.org@mail.example.com", h: []string{"from", "to", "subject", "date", "message-id"}}))

	// A message of header fields only, without the empty line (RFC 5322 §3.5).
	for _, c := range []string{"simple/simple", "relaxed/relaxed"} {
		name := "no-body-no-empty-line-" + strings.Replace(c, "/", "-", 1)
		write(name+".eml", sign(baseHeader(name, ""), sig{key: rs, s: "rsa2048", d: "example.com", c: c,
			h: []string{"from", "to", "subject", "date", "message-id"}}))
	}
	// d= in mixed case with i= in lower case: domain names compare without case
	// (RFC 4343), so i= is within d= (RFC 6376 §3.5).
	write("identity-domain-case.eml", sign(plain("identity-domain-case"), sig{key: rs, s: "rsa2048", d: "Example.COM", c: "relaxed/relaxed",
		i: "alice@example.com", h: []string{"from", "to", "subject", "date", "message-id"}}))

	write("c-absent.eml", sign(plain("c-absent"), sig{key: rs, s: "rsa2048", d: "example.com",
		h: []string{"from", "to", "subject", "date", "message-id"}}))
	write("c-relaxed-only.eml", sign(plain("c-relaxed-only"), sig{key: rs, s: "rsa2048", d: "example.com", c: "relaxed",
		h: []string{"from", "to", "subject", "date", "message-id"}}))

	// One message per key record shape in the zone.
	for _, sel := range []string{"fws", "upper", "hashes", "legacy-g", "trailing", "duplicate", "unknown-k"} {
		write("key-"+sel+".eml", sign(plain("key-"+sel), sig{key: rs, s: sel, d: "example.com", c: "relaxed/relaxed",
			i: "alice@example.com", h: []string{"from", "to", "subject", "date", "message-id"}}))
	}

	// Derived copies: edits after signing.
	derive := func(from, to string, edit func(string) string) {
		b, err := os.ReadFile(filepath.Join(*outDir, from))
		check(err)
		out := edit(string(b))
		if out == string(b) {
			log.Fatalf("%s: the edit changed nothing", to)
		}
		write(to, out)
	}
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	toLF := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	prepend := func(h string) func(string) string { return func(s string) string { return h + s } }
	derive("crlf-simple-simple.eml", "lf-simple-simple.eml", toLF)
	derive("rsa2048-relaxed-relaxed.eml", "lf-relaxed-relaxed.eml", toLF)
	derive("rsa2048-relaxed-relaxed.eml", "tampered-body.eml", replace("numbers are attached.", "numbers are attached!"))
	derive("rsa2048-relaxed-relaxed.eml", "tampered-signed-header.eml", replace("Subject: Quarterly numbers", "Subject: Quarterly numbers (revised)"))
	derive("rsa2048-relaxed-relaxed.eml", "unsigned-header-added.eml",
		prepend("Received: from relay.example.org (relay.example.org [192.0.2.1])\r\n\tby mx.example.org; Fri, 27 Nov 2026 10:00:01 +0000\r\nX-Spam-Score: 0.1\r\n"))
	derive("rsa2048-relaxed-relaxed.eml", "relaxed-header-respaced.eml", replace("Subject: Quarterly numbers", "SUBJECT:\tQuarterly   numbers  "))
	derive("rsa2048-simple-simple.eml", "simple-header-respaced.eml", replace("Subject: Quarterly numbers", "Subject:  Quarterly numbers"))
	derive("rsa2048-relaxed-relaxed.eml", "subject-added-above.eml", prepend("Subject: Added above the signed one\r\n"))
	derive("rsa2048-relaxed-relaxed.eml", "subject-added-below.eml", replace("\r\n\r\nHello Bob", "\r\nSubject: Added below the signed one\r\n\r\nHello Bob"))
	derive("trailing-space-simple-simple.eml", "simple-body-more-blank-lines.eml", func(s string) string { return s + "\r\n\r\n" })
	derive("trailing-space-simple-simple.eml", "simple-body-respaced.eml", replace("indented   with", "indented with"))
	derive("trailing-space-relaxed-relaxed.eml", "relaxed-body-respaced.eml", replace("indented   with   inner", "indented with\tinner"))
	derive("empty-body-relaxed-relaxed.eml", "empty-body-relaxed-blank-lines.eml", func(s string) string { return s + "\r\n\r\n" })
	derive("oversigned-from.eml", "oversigned-from-second-from.eml", replace("\r\n\r\nHello Bob", "\r\nFrom: Mallory <mallory@example.com>\r\n\r\nHello Bob"))
	derive("rsa2048-relaxed-relaxed.eml", "from-added-above.eml", prepend("From: Mallory <mallory@example.net>\r\n"))
	derive("absent-header-signed.eml", "absent-header-added.eml", replace("\r\n\r\nHello Bob", "\r\nReply-To: Mallory <mallory@example.net>\r\n\r\nHello Bob"))
}

func baseHeader(id, extra string) string {
	return "From: Alice <alice@example.com>\r\n" +
		"To: Bob <bob@example.org>\r\n" +
		"Subject: Quarterly numbers\r\n" +
		"Date: Fri, 27 Nov 2026 10:00:00 +0000\r\n" +
		"Message-ID: <" + id + "@example.com>\r\n" + extra
}

type sig struct {
	key        crypto.Signer
	s, d, c, i string
	h          []string
}

// sign returns msg (CRLF line ends) with a DKIM-Signature field prepended.
func sign(msg string, g sig) string {
	// RFC 5322 §3.5: a message without a body may end after its last header field,
	// with no empty line; its body is then empty.
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	head = strings.TrimSuffix(head, "\r\n") + "\r\n"
	// RFC 6376 §3.5: c= absent is simple/simple, and "relaxed" alone is relaxed/simple.
	hc, bc, _ := strings.Cut(g.c, "/")
	if hc == "" {
		hc = "simple"
	}
	if bc == "" {
		bc = "simple"
	}
	bh := sha256.Sum256([]byte(canonBody(bc, body)))
	alg := "rsa-sha256"
	if _, ok := g.key.(ed25519.PrivateKey); ok {
		alg = "ed25519-sha256"
	}
	c := ""
	if g.c != "" {
		c = " c=" + g.c + ";"
	}
	tags := fmt.Sprintf("v=1; a=%s;%s d=%s; s=%s; t=1795773600;", alg, c, g.d, g.s)
	if g.i != "" {
		tags += " i=" + g.i + ";"
	}
	field := "DKIM-Signature: " + tags + "\r\n\th=" + strings.Join(g.h, ":") + ";\r\n\tbh=" + base64.StdEncoding.EncodeToString(bh[:]) + ";\r\n\tb="

	// RFC 6376 §5.4.2: each name in h= takes the next instance from the bottom; a
	// name with no instance left contributes the null string.
	fields := splitFields(head)
	used := map[int]bool{}
	var in strings.Builder
	for _, name := range g.h {
		for j := len(fields) - 1; j >= 0; j-- {
			if !used[j] && strings.EqualFold(fieldName(fields[j]), name) {
				used[j] = true
				in.WriteString(canonHeader(hc, fields[j]))
				break
			}
		}
	}
	// RFC 6376 §3.7: the signature field itself, b= empty, without its final CRLF.
	in.WriteString(strings.TrimSuffix(canonHeader(hc, field+"\r\n"), "\r\n"))
	hash := sha256.Sum256([]byte(in.String()))
	var b []byte
	var err error
	switch k := g.key.(type) {
	case *rsa.PrivateKey:
		b, err = rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, hash[:])
	case ed25519.PrivateKey:
		// RFC 8463 §3: Ed25519 signs the SHA-256 hash, not the data.
		b = ed25519.Sign(k, hash[:])
	}
	check(err)
	enc := base64.StdEncoding.EncodeToString(b)
	var folded strings.Builder
	for len(enc) > 72 {
		folded.WriteString(enc[:72] + "\r\n\t")
		enc = enc[72:]
	}
	folded.WriteString(enc)
	return field + folded.String() + "\r\n" + msg
}

func splitFields(head string) []string {
	var out []string
	for _, line := range strings.SplitAfter(head, "\r\n") {
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(out) > 0 {
			out[len(out)-1] += line
			continue
		}
		out = append(out, line)
	}
	return out
}

func fieldName(f string) string { n, _, _ := strings.Cut(f, ":"); return strings.TrimSpace(n) }

var wsp = regexp.MustCompile(`[ \t]+`)

// canonHeader is RFC 6376 §3.4.1 (simple) and §3.4.2 (relaxed) for one field with
// its final CRLF.
func canonHeader(c, f string) string {
	if c == "simple" {
		return f
	}
	name, value, _ := strings.Cut(f, ":")
	value = strings.ReplaceAll(value, "\r\n", "")
	value = strings.TrimSpace(wsp.ReplaceAllString(value, " "))
	return strings.ToLower(strings.TrimRight(name, " \t")) + ":" + value + "\r\n"
}

// canonBody is RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed).
func canonBody(c, body string) string {
	if c == "relaxed" {
		lines := strings.Split(body, "\r\n")
		for i, l := range lines {
			lines[i] = strings.TrimRight(wsp.ReplaceAllString(l, " "), " ")
		}
		body = strings.Join(lines, "\r\n")
	}
	for strings.HasSuffix(body, "\r\n\r\n") {
		body = strings.TrimSuffix(body, "\r\n")
	}
	if c == "relaxed" {
		body = strings.TrimRight(body, "\r\n") // only CRLFs remain at the end here
		if body == "" {
			return ""
		}
		return body + "\r\n"
	}
	if body == "" || body == "\r\n" {
		return "\r\n"
	}
	if !strings.HasSuffix(body, "\r\n") {
		body += "\r\n"
	}
	return body
}

func readKey(path string) crypto.Signer {
	b, err := os.ReadFile(path)
	check(err)
	blk, _ := pem.Decode(b)
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	check(err)
	return k.(crypto.Signer)
}

func writeZone(keys map[string]crypto.Signer) {
	pub := func(n string) string {
		switch k := keys[n].Public().(type) {
		case ed25519.PublicKey:
			return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(k)
		default:
			der, err := x509.MarshalPKIXPublicKey(k)
			check(err)
			return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
		}
	}
	rec := func(owner, v string) string {
		var parts []string
		for len(v) > 200 {
			parts = append(parts, `"`+escape(v[:200])+`"`)
			v = v[200:]
		}
		parts = append(parts, `"`+escape(v)+`"`)
		return fmt.Sprintf("%-28s IN TXT ( %s )\n", owner, strings.Join(parts, "\n                                      "))
	}
	var z strings.Builder
	z.WriteString("; dkim-interop.zone: the keys of the DKIM interop corpus in testdata/dkim/interop\n")
	z.WriteString("; (see its README.md). Written by testdata/dkim/interop/generate.go.\n$TTL 300\n\n$ORIGIN example.com.\n")
	z.WriteString(rec("rsa1024._domainkey", pub("rsa1024")))
	z.WriteString(rec("rsa2048._domainkey", pub("rsa2048")))
	z.WriteString(rec("ed25519._domainkey", pub("ed25519")))
	z.WriteString("; ed-wrong publishes a different Ed25519 key than the one that signed with it.\n")
	z.WriteString(rec("ed-wrong._domainkey", pub("ed25519-other")))
	z.WriteString("; strict is the 2048-bit key with t=s: i= must be exactly d=.\n")
	z.WriteString(rec("strict._domainkey", strings.Replace(pub("rsa2048"), "k=rsa;", "k=rsa; t=s;", 1)))
	// Key records that are valid by RFC 6376 §3.6.1 in less common shapes, and three
	// that are not; all hold the 2048-bit key.
	rsaP := strings.TrimPrefix(pub("rsa2048"), "v=DKIM1; k=rsa; p=")
	z.WriteString("; p= with FWS inside: a space, a tab, and a CRLF followed by a tab.\n")
	z.WriteString(rec("fws._domainkey", "v=DKIM1; k=rsa; p="+rsaP[:60]+" "+rsaP[60:120]+"\t"+rsaP[120:200]+"\r\n\t"+rsaP[200:]))
	z.WriteString("; k=, h= and s= in upper case: invalid, tag values are case-sensitive (RFC 6376 §3.2).\n")
	z.WriteString(rec("upper._domainkey", "v=DKIM1; k=RSA; h=SHA256; s=Email; p="+rsaP))
	z.WriteString("; h= with an algorithm verifiers do not know, which they must ignore.\n")
	z.WriteString(rec("hashes._domainkey", "v=DKIM1; k=rsa; h=sha512:sha256; p="+rsaP))
	z.WriteString("; g= from RFC 4871, removed by RFC 6376: now an unknown tag, ignored.\n")
	z.WriteString(rec("legacy-g._domainkey", "v=DKIM1; g=nobody; k=rsa; p="+rsaP))
	z.WriteString("; a trailing semicolon and whitespace, and an unknown tag.\n")
	z.WriteString(rec("trailing._domainkey", "v=DKIM1; k=rsa; foo=bar; p="+rsaP+";  "))
	z.WriteString("; invalid: a repeated tag (RFC 6376 §3.2) and an unknown key type.\n")
	z.WriteString(rec("duplicate._domainkey", "v=DKIM1; k=rsa; n=one; n=two; p="+rsaP))
	z.WriteString(rec("unknown-k._domainkey", "v=DKIM1; k=dsa; p="+rsaP))
	z.WriteString("\n$ORIGIN esp.example.net.\n")
	z.WriteString(rec("rsa2048._domainkey", pub("rsa2048")))
	check(os.WriteFile(*zonePath, []byte(z.String()), 0o644))
}

// escape writes tab, CR and LF as RFC 1035 §5.1 \DDD escapes.
func escape(s string) string {
	return strings.NewReplacer("\t", `\009`, "\r", `\013`, "\n", `\010`).Replace(s)
}

func write(name, content string) {
	check(os.WriteFile(filepath.Join(*outDir, name), []byte(content), 0o644))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
