package dkim

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	msgauth "github.com/emersion/go-msgauth/dkim"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/finding"
	"github.com/mailcheck/mailcheck/internal/header"
)

// Limits that keep a hostile message from costing unbounded memory or time. The body
// is streamed, so its size is not limited: only the header section is held in memory.
const (
	// MaxHeaderSize is the largest header section VerifyMessage reads; a message with
	// a larger one is reported dkim.header-too-large and not verified.
	MaxHeaderSize = 16 << 20
	// MaxSignatures is how many DKIM-Signature fields are verified; the rest are
	// reported as not evaluated.
	MaxSignatures = 16
	// maxVerifierCost bounds the work go-msgauth 0.7.0 would do on the header it is
	// given, in bytes copied or fields compared (see verifierHeader): past it, its
	// quadratic steps would take minutes, so the signatures are reported unverifiable.
	maxVerifierCost = 1 << 28
)

// Outcome is a signature's result, in RFC 8601 §2.7.1 words.
type Outcome string

// The outcomes.
const (
	Pass      Outcome = "pass"
	Fail      Outcome = "fail"
	Policy    Outcome = "policy"
	Neutral   Outcome = "neutral"
	TempError Outcome = "temperror"
	PermError Outcome = "permerror"
)

// Reason says why a signature did not pass, so causes that look alike to a receiver
// can be told apart.
type Reason string

// The reasons.
const (
	// ReasonSyntax: the DKIM-Signature field itself is invalid (RFC 6376 §6.1.1).
	ReasonSyntax Reason = "signature-syntax"
	// ReasonFromNotSigned: h= does not include From (RFC 6376 §6.1.1).
	ReasonFromNotSigned Reason = "from-not-signed"
	// ReasonExpired: x= is in the past (RFC 6376 §3.5).
	ReasonExpired Reason = "expired"
	// ReasonKeyMissing: no key record at the selector (RFC 6376 §6.1.2).
	ReasonKeyMissing Reason = "key-missing"
	// ReasonKeyRevoked: the key record has an empty p= (RFC 6376 §3.6.1).
	ReasonKeyRevoked Reason = "key-revoked"
	// ReasonKeyUnusable: the key record cannot verify this signature (syntax, wrong
	// type, hash or service, several records).
	ReasonKeyUnusable Reason = "key-unusable"
	// ReasonDNSError: the key lookup failed; the result may differ later.
	ReasonDNSError Reason = "dns-error"
	// ReasonSHA1: a=rsa-sha1, which RFC 8301 §3.1 forbids.
	ReasonSHA1 Reason = "sha1"
	// ReasonShortKey: an RSA key under 1024 bits (RFC 8301 §3.2).
	ReasonShortKey Reason = "short-key"
	// ReasonLengthTag: l= leaves part of the body unsigned (RFC 6376 §8.2); this
	// verifier, like go-msgauth and several receivers, refuses such signatures.
	ReasonLengthTag Reason = "length-tag"
	// ReasonBodyHashMismatch: the body changed after signing (RFC 6376 §6.1.3).
	ReasonBodyHashMismatch Reason = "body-hash-mismatch"
	// ReasonBadSignature: the signed header fields changed, or the key does not match.
	ReasonBadSignature Reason = "bad-signature"
	// ReasonVerifierLimit: the signature is of a form RFC 6376 allows but that
	// go-msgauth, the verifier used, mishandles, so its result is not known; Detail
	// says what. Verifiers built on the same library fail it; others may pass it.
	ReasonVerifierLimit Reason = "verifier-limit"
	// ReasonNotEvaluated: over MaxSignatures.
	ReasonNotEvaluated Reason = "not-evaluated"
	// ReasonTimeout: the context ended before the signature was verified.
	ReasonTimeout Reason = "timeout"
	// ReasonOther: any other verifier error; Detail has its words.
	ReasonOther Reason = "other"
)

// Coverage says which important header fields a signature's h= includes.
type Coverage struct {
	From                bool `json:"from"`
	Subject             bool `json:"subject"`
	ListUnsubscribe     bool `json:"list_unsubscribe"`
	ListUnsubscribePost bool `json:"list_unsubscribe_post"`
}

// Signature is the report on one DKIM-Signature field.
type Signature struct {
	// Index is the field's position among the message's DKIM-Signature fields, from 0.
	Index int `json:"index"`
	// Domain (d=), Selector (s=), Algorithm (a=), Canonicalization (c=, with the
	// simple defaults filled in) and Identifier (i=) as signed.
	Domain           string `json:"domain"`
	Selector         string `json:"selector"`
	Algorithm        string `json:"algorithm"`
	Canonicalization string `json:"canonicalization"`
	Identifier       string `json:"identifier,omitempty"`
	// SignedHeaders is h=, in order, as written.
	SignedHeaders []string `json:"signed_headers"`
	Coverage      Coverage `json:"coverage"`
	// BodyLength is l=, when used.
	BodyLength *int64 `json:"body_length,omitempty"`
	// Timestamp is t= and Expiration x=, when present; Expired is x= in the past.
	Timestamp  *time.Time `json:"timestamp,omitempty"`
	Expiration *time.Time `json:"expiration,omitempty"`
	Expired    bool       `json:"expired,omitempty"`
	// KeyType and KeyBits describe the key found at the selector.
	KeyType KeyType `json:"key_type,omitempty"`
	KeyBits int     `json:"key_bits,omitempty"`
	// Key is the key lookup and its lint.
	Key *KeyResult `json:"key,omitempty"`
	// Result is the outcome; Reason and Detail say why it is not pass.
	Result Outcome `json:"result"`
	Reason Reason  `json:"reason,omitempty"`
	Detail string  `json:"detail,omitempty"`
	// Testing reports a pass with a t=y key, which receivers treat as unsigned.
	Testing bool `json:"testing,omitempty"`
	// Aligned reports a pass whose d= is aligned with the From domain.
	Aligned bool `json:"aligned"`
	// Findings are this signature's diagnostics, its key's included.
	Findings []Finding `json:"findings,omitempty"`
}

// MessageReport is the DKIM report on one message.
type MessageReport struct {
	// FromDomain is the author domain, empty when From is missing or ambiguous
	// (FromError says why).
	FromDomain string `json:"from_domain,omitempty"`
	FromError  string `json:"from_error,omitempty"`
	// Signatures are the DKIM-Signature fields in header order.
	Signatures []*Signature `json:"signatures"`
	// Aligned reports at least one passing signature aligned with From: what DMARC
	// needs from DKIM (RFC 7489 §4.2).
	Aligned bool `json:"aligned"`
	// Findings are the message-level diagnostics; each signature carries its own.
	Findings []Finding `json:"findings,omitempty"`
}

// AllFindings returns every signature's findings followed by the message-level ones.
func (m *MessageReport) AllFindings() []Finding {
	var out []Finding
	for _, s := range m.Signatures {
		out = append(out, s.Findings...)
	}
	return append(out, m.Findings...)
}

// readers recycles VerifyMessage's 64 KiB buffered readers, which are done with when
// it returns (go-msgauth reads the body before VerifyWithOptions returns): one per
// message would be allocated and cleared for every message a server checks.
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

// VerifyMessage verifies every DKIM-Signature on the message in r (RFC 5322 text,
// CRLF or LF line ends) and judges alignment with the From domain (WithAlignment sets
// the rule). Keys are fetched through res and linted like LookupKey's. The body is
// streamed, so a message of any size is verified in memory bounded by its header
// (MaxHeaderSize). When ctx ends first, the signatures not yet verified are reported
// temperror, ReasonTimeout, with dkim.timeout (Incomplete). The error is only for a
// message that cannot be read.
func VerifyMessage(ctx context.Context, res Resolver, r io.Reader, opts ...Option) (*MessageReport, error) {
	c := newConfig(opts)
	in := &ctxReader{r: r, ctx: ctx}
	br := readers.Get().(*bufio.Reader)
	br.Reset(in)
	defer func() { br.Reset(nil); readers.Put(br) }()
	sec, err := header.Read(br, MaxHeaderSize)
	out := &MessageReport{Signatures: []*Signature{}}
	switch {
	case errors.Is(err, header.ErrTooLarge):
		out.Findings = append(out.Findings, Finding{
			Code: CodeHeaderTooLarge, Severity: finding.Warning, Incomplete: true,
			Message: fmt.Sprintf("The header section is over %d MiB, so its DKIM signatures were not verified.", MaxHeaderSize>>20),
			Fix:     "Remove the bulk from the header: receivers cap the header size far lower and reject or truncate such messages.",
			Ref:     "RFC 5322 §2.2",
		})
		return out, nil
	case err != nil:
		return nil, fmt.Errorf("dkim: reading message: %w", err)
	}
	fields := sec.Fields
	if d, err := fromDomain(fields); err != nil {
		out.FromError = err.Error()
	} else {
		out.FromDomain = d
	}

	var tags []sigTags
	for _, f := range fields {
		if strings.EqualFold(f.Name, "DKIM-Signature") {
			st := parseSigTags(f.Value())
			tags = append(tags, st)
			out.Signatures = append(out.Signatures, describe(len(out.Signatures), st))
		}
	}
	if in.cut && !sec.Ended {
		// The header was not read to its end: signatures may be missing.
		out.Findings = append(out.Findings, timeoutFinding("before the whole header was read"))
		return out, nil
	}
	if len(out.Signatures) == 0 {
		out.Findings = append(out.Findings, Finding{
			Code: CodeUnsigned, Severity: finding.Warning,
			Message: "The message has no DKIM-Signature, so DMARC can pass only through SPF, which breaks on forwarding.",
			Fix:     "Turn on DKIM signing at your mail provider or MTA and publish its key.",
			Ref:     "RFC 6376 §3.5, RFC 7489 §4.2",
		})
		return out, nil
	}

	keys := fetchKeys(ctx, res, out.Signatures, tags)
	var verifs []*msgauth.Verification
	var verr error
	hdr, ok := verifierHeader(fields, tags)
	switch {
	case !sec.Ended && len(fields) > 0 && !strings.HasSuffix(fields[len(fields)-1].Raw, "\n"):
		// The last field has no line break: not a header section (RFC 5322 §2.2), and
		// go-msgauth stops at it too.
		verr = errors.New("the header section ends without a line break")
	case !ok:
		verr = errVerifierCost
	default:
		// RFC 5322 §3.5: the empty line is there only to separate a body; a message
		// of header fields alone has an empty body (RFC 6376 §3.4.3 and §3.4.4 give
		// its canonical forms). The header handed over always ends with one, and the
		// body, if any, is streamed from where the header ended.
		verifs, verr = runVerifier(ctx, res, io.MultiReader(bytes.NewReader(hdr), br), keys)
		if verr != nil && !errors.Is(verr, msgauth.ErrTooManySignatures) || !matches(verifs, out.Signatures, tags) {
			// go-msgauth clears Err on the verification that hit an unexpected error, and
			// its results must line up with the fields read here; when either is in
			// doubt, nothing it said is trusted.
			if verr == nil {
				verr = errors.New("the verifier read the header differently")
			}
			verifs = nil
		}
	}
	now := c.now()
	for i, s := range out.Signatures {
		var v *msgauth.Verification
		if i < len(verifs) {
			v = verifs[i]
		}
		judge(s, tags[i], v, verr, in.cut, now)
		if s.Reason == ReasonBadSignature {
			s.Detail += whitespaceHint(s, fields)
		}
		s.Findings = append(s.Findings, signatureFindings(s, tags[i])...)
	}
	c.align(out)
	out.Findings = append(out.Findings, listUnsubscribeFinding(out, fields)...)
	return out, nil
}

// errVerifierCost stands in for go-msgauth's answer when the header would cost it
// more than maxVerifierCost.
var errVerifierCost = errors.New("verifier cost")

// ctxReader ends the message early, with io.EOF, once ctx is done, and remembers
// that it did. An EOF rather than an error, because go-msgauth 0.7.0 leaves its
// per-signature goroutines blocked forever when its reader fails; at EOF they finish,
// and what they computed on the cut message is then discarded.
type ctxReader struct {
	r   io.Reader
	ctx context.Context
	cut bool
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.ctx.Err() != nil {
		c.cut = true
		return 0, io.EOF
	}
	return c.r.Read(p)
}

func timeoutFinding(when string) Finding {
	return Finding{
		Code: CodeTimeout, Severity: finding.Warning, Incomplete: true,
		Message: "The time limit was reached " + when + ", so the DKIM result is unknown.",
		Fix:     "Run the check again with a longer --timeout.",
	}
}

// verifierHeader builds the header section go-msgauth is given, so that its work is
// linear in the message. go-msgauth 0.7.0 re-copies a whole field for each of its
// continuation lines and scans every field for each name in h=, both quadratic. Only
// what it uses is kept: the DKIM-Signature fields (one past MaxSignatures, so it
// still says there are too many) and the fields some signature's h= names, in their
// order, so each signature picks the same instances (RFC 6376 §5.4.2). A field only
// relaxed canonicalization will read is handed over unfolded, which leaves its
// canonical form unchanged (RFC 6376 §3.4.2 unfolds first); a field simple
// canonicalization reads must keep its folds. ok is false when what remains would
// still cost go-msgauth more than maxVerifierCost.
func verifierHeader(fields []header.Field, tags []sigTags) (hdr []byte, ok bool) {
	named := map[string]bool{}  // in some h=
	simple := map[string]bool{} // in the h= of a signature with simple header canonicalization
	picks := 0
	for i, st := range tags {
		if i >= MaxSignatures {
			break
		}
		// go-msgauth strips every Unicode space from h= and from c= (stripWhitespace).
		hs := strings.Split(stripUnicodeSpace(st.tags["h"]), ":")
		picks += len(hs)
		isSimple := headerCanon(st) == "simple"
		for _, h := range hs {
			h = strings.ToLower(h)
			named[h] = true
			simple[h] = simple[h] || isSimple
		}
	}
	var cost int64
	kept, sigs := 0, 0
	for _, f := range fields {
		name := strings.ToLower(f.Name)
		isSig := name == "dkim-signature"
		// go-msgauth matches names with strings.EqualFold, under which a non-ASCII
		// name can equal an ASCII one ("ſubject", with U+017F) that ToLower does not
		// give: such a field, invalid anyway (RFC 5322 §3.6.8), is always handed over.
		nonASCII := strings.ContainsFunc(name, func(r rune) bool { return r >= utf8.RuneSelf })
		if !named[name] && !nonASCII && !(isSig && sigs <= MaxSignatures) {
			if isSig {
				sigs++
			}
			continue
		}
		folded := simple[name] || nonASCII || isSig && sigs < len(tags) && sigs < MaxSignatures && headerCanon(tags[sigs]) == "simple"
		if isSig {
			sigs++
		}
		kept++
		if !folded || f.Lines == 1 {
			hdr = appendUnfolded(hdr, f.Raw)
			continue
		}
		cost += int64(f.Lines) * int64(len(f.Raw))
		hdr = append(hdr, f.Raw...)
	}
	cost += int64(picks) * int64(kept)
	return append(hdr, "\r\n"...), cost <= maxVerifierCost
}

// appendUnfolded appends the field's lines joined without their line breaks, then
// CRLF.
func appendUnfolded(dst []byte, raw string) []byte {
	for line := range strings.Lines(raw) {
		line = strings.TrimSuffix(line, "\n")
		dst = append(dst, strings.TrimSuffix(line, "\r")...)
	}
	return append(dst, "\r\n"...)
}

func stripUnicodeSpace(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// headerCanon is the header canonicalization a signature asks for, read as go-msgauth
// reads c= (RFC 6376 §3.5: "simple" when absent).
func headerCanon(st sigTags) string {
	hc, _, _ := strings.Cut(stripUnicodeSpace(st.tags["c"]), "/")
	if hc == "" {
		return "simple"
	}
	return hc
}

// matches reports whether go-msgauth's verifications are one per signature field, in
// the same order (it stops at MaxSignatures).
func matches(verifs []*msgauth.Verification, sigs []*Signature, tags []sigTags) bool {
	if verifs == nil {
		return true
	}
	if len(verifs) != min(len(sigs), MaxSignatures) {
		return false
	}
	for i, v := range verifs {
		if tags[i].err == nil && v.Domain != "" && !strings.EqualFold(v.Domain, sigs[i].Domain) {
			return false
		}
	}
	return true
}

// describe fills in a signature's facts from its tags.
func describe(index int, st sigTags) *Signature {
	s := &Signature{
		Index:         index,
		Domain:        strings.ToLower(st.get("d")),
		Selector:      strings.ToLower(st.get("s")),
		Algorithm:     strings.ToLower(st.get("a")),
		Identifier:    st.get("i"),
		SignedHeaders: st.headerList(),
		Timestamp:     st.time("t"),
		Expiration:    st.time("x"),
	}
	// RFC 6376 §3.5 c=: "simple" is the default for each part.
	hc, bc, _ := strings.Cut(strings.ToLower(st.get("c")), "/")
	if hc == "" {
		hc = "simple"
	}
	if bc == "" {
		bc = "simple"
	}
	s.Canonicalization = hc + "/" + bc
	if n, ok := st.number("l"); ok {
		s.BodyLength = &n
	}
	for _, h := range s.SignedHeaders {
		switch strings.ToLower(h) {
		case "from":
			s.Coverage.From = true
		case "subject":
			s.Coverage.Subject = true
		case "list-unsubscribe":
			s.Coverage.ListUnsubscribe = true
		case "list-unsubscribe-post":
			s.Coverage.ListUnsubscribePost = true
		}
	}
	return s
}

// fetchKeys looks up each distinct key the signatures name, concurrently, and attaches
// the results. The verifier is then served these same answers, so what is linted is
// what was verified against.
func fetchKeys(ctx context.Context, r Resolver, sigs []*Signature, tags []sigTags) map[string]*KeyResult {
	type want struct{ name, domain, selector string }
	var wants []want
	seen := map[string]bool{}
	for i, s := range sigs {
		if i >= MaxSignatures || tags[i].err != nil || checkSelector(s.Selector) != nil {
			continue
		}
		if _, err := dnscheck.NormalizeDomain(s.Domain); err != nil {
			continue
		}
		name := KeyName(s.Selector, s.Domain)
		if !seen[name] {
			seen[name] = true
			wants = append(wants, want{name, s.Domain, s.Selector})
		}
	}
	found := make([]*KeyResult, len(wants))
	var wg sync.WaitGroup
	for i, w := range wants {
		wg.Go(func() {
			kr := lookupKey(ctx, r, w.domain, w.selector)
			if kr.Status == KeyMissing {
				kr.Findings = append(kr.Findings, missingFinding(kr))
			}
			found[i] = kr
		})
	}
	wg.Wait()
	keys := make(map[string]*KeyResult, len(wants))
	for i, w := range wants {
		keys[w.name] = found[i]
	}
	for _, s := range sigs {
		if kr := keys[KeyName(s.Selector, s.Domain)]; kr != nil {
			s.Key = kr
			if kr.Key != nil {
				s.KeyType, s.KeyBits = kr.Key.Material, kr.Key.Bits
			}
		}
	}
	return keys
}

// runVerifier runs go-msgauth over the message with its TXT lookups answered from
// the fetched keys (and from the resolver for any name not fetched).
//
// A single record that ParseKey accepted is handed over in canonical form
// (Key.Record) rather than as published: go-msgauth 0.7.0 removes only spaces from
// p=, not the tabs and folds RFC 6376 §3.6.1 allows in a base64string ("whitespace
// is ignored in this value"). Such keys are valid, and verifying with them must not
// fail.
func runVerifier(ctx context.Context, r Resolver, msg io.Reader, keys map[string]*KeyResult) ([]*msgauth.Verification, error) {
	lookup := func(name string) ([]string, error) {
		if kr := keys[strings.ToLower(name)]; kr != nil {
			switch {
			case kr.Status == KeyFound && len(kr.Records) == 1 && kr.Key != nil:
				return []string{kr.Key.Record()}, nil
			case kr.Status == KeyFound:
				return kr.Records, nil
			default:
				return nil, kr.err
			}
		}
		return r.LookupTXT(ctx, name)
	}
	return msgauth.VerifyWithOptions(msg, &msgauth.VerifyOptions{
		LookupTXT:        lookup,
		MaxVerifications: MaxSignatures,
	})
}

// judge sets a signature's outcome. The causes are checked in a fixed order so the
// reason names the first thing to fix: the field itself, then expiry, then the key,
// then receiver policy, and only then the cryptography.
func judge(s *Signature, st sigTags, v *msgauth.Verification, verr error, cut bool, now time.Time) {
	set := func(o Outcome, r Reason, detail string) { s.Result, s.Reason, s.Detail = o, r, detail }
	kr := s.Key
	switch {
	case s.Index >= MaxSignatures:
		set(Neutral, ReasonNotEvaluated, fmt.Sprintf("only the first %d signatures are verified", MaxSignatures))
		return
	case st.err != nil:
		set(PermError, ReasonSyntax, st.err.Error())
		return
	case !s.Coverage.From:
		// RFC 6376 §6.1.1: a signature that does not cover From MUST be ignored.
		set(PermError, ReasonFromNotSigned, "h= does not include From")
		return
	case s.Expiration != nil && now.After(*s.Expiration):
		s.Expired = true
		set(Fail, ReasonExpired, "the signature expired at "+s.Expiration.Format(time.RFC3339))
		return
	case kr == nil:
		set(PermError, ReasonKeyUnusable, "the key name is not a valid DNS name")
		return
	case kr.Status == KeyMissing:
		set(PermError, ReasonKeyMissing, "no key record at "+kr.Name+" ("+kr.Rcode+")")
		return
	case kr.Status == KeyDNSError:
		set(TempError, ReasonDNSError, "the key lookup failed: "+kr.Rcode)
		return
	case kr.Key != nil && kr.Key.Revoked && len(kr.Records) == 1:
		set(PermError, ReasonKeyRevoked, "the key record has an empty p=")
		return
	case kr.Key != nil && kr.Key.Strict && identityDomain(s) != s.Domain:
		// RFC 6376 §3.6.1 t=s: the i= domain MUST equal d=, not be a subdomain.
		set(PermError, ReasonKeyUnusable, "the key has t=s but i= is in a subdomain of d=")
		return
	}
	keyAlg, hashAlg, _ := strings.Cut(s.Algorithm, "-")
	switch {
	case hashAlg == "sha1":
		set(Policy, ReasonSHA1, "rsa-sha1 signatures are not accepted (RFC 8301 §3.1)")
		return
	case kr.Key != nil && kr.Key.Material == KeyRSA && kr.Key.Bits < 1024 && keyAlg == "rsa":
		set(Policy, ReasonShortKey, fmt.Sprintf("the RSA key is %d bits; under 1024 is not accepted (RFC 8301 §3.2)", kr.Key.Bits))
		return
	case s.BodyLength != nil:
		set(Policy, ReasonLengthTag, fmt.Sprintf("l=%d leaves any text appended after that many body octets unsigned", *s.BodyLength))
		return
	}
	switch {
	case cut:
		set(TempError, ReasonTimeout, "the time limit was reached before the body was hashed")
	case errors.Is(verr, errVerifierCost):
		set(Neutral, ReasonVerifierLimit, "the header has signed fields folded over so many lines, or h= names so many fields, that go-msgauth would take minutes, so the signature was not checked")
	case v == nil && verr != nil:
		set(PermError, ReasonOther, verr.Error())
	case v == nil:
		set(PermError, ReasonOther, "the verifier returned no result")
	case v.Err == nil:
		set(Pass, "", "")
		s.Testing = kr.Key != nil && kr.Key.Testing
	case msgauth.IsTempFail(v.Err):
		set(TempError, ReasonDNSError, v.Err.Error())
	default:
		set(classify(v.Err, kr, keyAlg))
		if strings.Contains(v.Err.Error(), "domain mismatch") && st.err == nil {
			// The tags were checked above with domains compared without case (RFC
			// 4343); go-msgauth 0.7.0 compares i= with d= byte for byte, so a d= such as
			// Example.COM with i=@example.com stops it before any hashing.
			set(Neutral, ReasonVerifierLimit, fmt.Sprintf(
				"i=%s is within d=%s, but go-msgauth compares their domains with case, so the signature could not be checked", s.Identifier, st.get("d")))
		}
		if s.Reason == ReasonBadSignature {
			if tags := st.strayB(); len(tags) > 0 {
				// go-msgauth 0.7.0 removes every match of `b\s*=` and what follows up
				// to ";" before hashing the signature field, where RFC 6376 §3.7 removes
				// only the b= tag's value. A "b=" elsewhere (in an i= local part such
				// as bounce-bob=example.org, or a tag named like xb=) makes it hash other
				// data, so its failure says nothing about the signature.
				set(Neutral, ReasonVerifierLimit, fmt.Sprintf(
					"the text \"b=\" also occurs in %s=, which go-msgauth strips as if it were the signature; the signature could not be checked", strings.Join(tags, "=, ")))
			}
		}
	}
}

// whitespaceHint names the likely cause of a bad relaxed signature over 8-bit header
// text. RFC 6376 §3.4.2 reduces only WSP (space and tab) runs; signers that run a
// JavaScript \s over the field (nodemailer 8, mailauth 4 on Latin-1-decoded bytes)
// also turn U+00A0, U+3000 and the like, or any UTF-8 byte 0xA0, into a space, and so
// sign other data than the message's canonical form.
func whitespaceHint(s *Signature, fields []header.Field) string {
	if !strings.HasPrefix(s.Canonicalization, "relaxed/") {
		return ""
	}
	signed := map[string]bool{}
	for _, h := range s.SignedHeaders {
		signed[strings.ToLower(h)] = true
	}
	for _, f := range fields {
		if !signed[strings.ToLower(f.Name)] {
			continue
		}
		v := f.Value()
		for i, r := range v {
			var what string
			switch {
			case r == '\v' || r == '\f' || r >= 0x80 && unicode.IsSpace(r):
				what = fmt.Sprintf("%U", r)
			case r == utf8.RuneError && v[i] == 0xA0:
				what = "the byte 0xA0" // Latin-1 NBSP, not UTF-8
			case r >= 0x80 && strings.Contains(string(r), "\xa0"):
				what = fmt.Sprintf("the byte 0xA0 (in %q)", r)
			default:
				continue
			}
			return fmt.Sprintf("; the signed %s field holds %s, which is not whitespace to RFC 6376 §3.4.2 but is to some signers (nodemailer, mailauth): the likely cause", f.Name, what)
		}
	}
	return ""
}

// identityDomain is the domain part of i=, or d= when i= is absent (RFC 6376 §3.5).
func identityDomain(s *Signature) string {
	if s.Identifier == "" {
		return s.Domain
	}
	_, d, _ := strings.Cut(s.Identifier, "@")
	return strings.ToLower(d)
}

// classify names a go-msgauth failure. Its errors are plain strings, so the match is
// on their text; anything unknown stays ReasonOther with the text as detail.
func classify(err error, kr *KeyResult, keyAlg string) (Outcome, Reason, string) {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "body hash did not verify"):
		return Fail, ReasonBodyHashMismatch, "the body hash does not match: the body changed after signing"
	case strings.Contains(msg, "signature did not verify"):
		return Fail, ReasonBadSignature, "the signature does not match the signed header fields and the key"
	case strings.Contains(msg, "signature has expired"):
		return Fail, ReasonExpired, msg
	case strings.Contains(msg, "key"), strings.Contains(msg, "inappropriate"), strings.Contains(msg, "multiple TXT"):
		return PermError, ReasonKeyUnusable, msg
	case kr != nil && kr.Key != nil && string(kr.Key.Material) != keyAlg:
		return PermError, ReasonKeyUnusable, fmt.Sprintf("a=%s needs an %s key; the record holds %s", keyAlg, keyAlg, kr.Key.Material)
	}
	return PermError, ReasonOther, msg
}

// signatureFindings turns a judged signature into findings: its key's first, then
// the signature's own.
func signatureFindings(s *Signature, st sigTags) []Finding {
	var out []Finding
	ev := &Evidence{Name: fmt.Sprintf("DKIM-Signature #%d (d=%s s=%s)", s.Index+1, s.Domain, s.Selector), Detail: s.Detail}
	if s.Key != nil {
		for _, f := range s.Key.Findings {
			// A revoked key is a choice at the domain level; on a signature it is a failure.
			if f.Code == CodeKeyRevoked {
				f.Severity = finding.Error
			}
			out = append(out, f)
		}
	}
	add := func(code Code, sev Severity, ref, fix, format string, args ...any) {
		out = append(out, Finding{Code: code, Severity: sev, Message: fmt.Sprintf(format, args...), Fix: fix, Ref: ref, Evidence: ev})
	}
	if s.BodyLength != nil {
		add(CodeLengthTag, finding.Warning, "RFC 6376 §8.2",
			"Sign without l= (most signers have it off by default).",
			"The signature by %s uses l=%d: text appended after that point is not covered, so receivers may reject it (this check does).", s.Domain, *s.BodyLength)
	}
	switch s.Reason {
	case ReasonFromNotSigned:
		add(CodeFromNotSigned, finding.Error, "RFC 6376 §6.1.1",
			"Configure the signer to include From in h=.",
			"The signature by %s does not cover the From field, so verifiers must ignore it.", s.Domain)
	case ReasonExpired:
		add(CodeExpired, finding.Error, "RFC 6376 §3.5",
			"Sign with a longer x= lifetime (days, not minutes), or none.",
			"The signature by %s expired (x=%s).", s.Domain, st.get("x"))
	case ReasonBodyHashMismatch:
		add(CodeBodyHashMismatch, finding.Error, "RFC 6376 §6.1.3",
			"Find what changes the body after signing (a footer, a gateway, a line-ending rewrite) and sign after it, or use relaxed body canonicalization.",
			"The body hash of the signature by %s does not match: the body changed after signing.", s.Domain)
	case ReasonBadSignature:
		add(CodeSignatureInvalid, finding.Error, "RFC 6376 §6.1.3",
			"Check that the published key belongs to the signer's private key, and that no relay rewrites signed header fields.",
			"The signature by %s does not verify: a signed header field changed, or the published key is not the signer's.", s.Domain)
	case ReasonVerifierLimit:
		add(CodeSignatureUnverifiable, finding.Warning, "RFC 6376 §3.5, §3.7",
			"Keep the text \"b=\" out of every tag but b= itself (for example out of the i= address), and write d= and i= in lower case: some verifiers mishandle both.",
			"The signature by %s could not be checked: %s. Receivers whose verifier shares this flaw fail it.", s.Domain, s.Detail)
	case ReasonSHA1:
		add(CodeSignatureInvalid, finding.Error, "RFC 8301 §3.1",
			"Sign with rsa-sha256 (and a 2048-bit key).",
			"The signature by %s uses rsa-sha1, which verifiers must not accept.", s.Domain)
	case ReasonTimeout:
		f := timeoutFinding("before the signature by " + s.Domain + " was verified")
		f.Evidence = ev
		out = append(out, f)
	case ReasonSyntax, ReasonKeyUnusable, ReasonOther:
		add(CodeSignatureInvalid, finding.Error, "RFC 6376 §6.1",
			"Fix the signer's configuration so it produces a valid signature and a matching key.",
			"The signature by %s cannot be verified: %s.", orUnknown(s.Domain), s.Detail)
	}
	return out
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown domain"
	}
	return s
}

// align marks passing signatures aligned with From and reports the message verdict.
func (c *config) align(m *MessageReport) {
	var passed, aligned []string
	for _, s := range m.Signatures {
		if s.Result != Pass || s.Testing {
			continue
		}
		passed = append(passed, s.Domain)
		if m.FromDomain != "" && c.aligned(m.FromDomain, s.Domain) {
			s.Aligned = true
			aligned = append(aligned, s.Domain)
		}
	}
	m.Aligned = len(aligned) > 0
	switch {
	case m.Aligned:
		m.Findings = append(m.Findings, Finding{
			Code: CodeAlignedPass, Severity: finding.Info,
			Message:  fmt.Sprintf("A valid DKIM signature by %s is aligned with the From domain %s.", strings.Join(aligned, ", "), m.FromDomain),
			Ref:      "RFC 7489 §3.1.1",
			Evidence: &Evidence{Records: aligned},
		})
	case len(passed) > 0:
		why := fmt.Sprintf("none of %s is aligned with the From domain %s", strings.Join(passed, ", "), m.FromDomain)
		if m.FromDomain == "" {
			why = "the author domain is unknown: " + m.FromError
		}
		m.Findings = append(m.Findings, Finding{
			Code: CodeNotAligned, Severity: finding.Warning,
			Message:  fmt.Sprintf("The message has a valid DKIM signature, but %s, so it does not count for DMARC.", why),
			Fix:      fmt.Sprintf("Have the provider sign with d=%s (a custom DKIM domain), and publish its key there.", orUnknown(m.FromDomain)),
			Ref:      "RFC 7489 §3.1.1",
			Evidence: &Evidence{Records: passed},
		})
	}
}

// listUnsubscribeFinding applies RFC 8058 §4: one-click unsubscribe needs both
// List-Unsubscribe and List-Unsubscribe-Post covered by a valid DKIM signature.
func listUnsubscribeFinding(m *MessageReport, fields []header.Field) []Finding {
	var lu, lup bool
	for _, f := range fields {
		lu = lu || strings.EqualFold(f.Name, "List-Unsubscribe")
		lup = lup || strings.EqualFold(f.Name, "List-Unsubscribe-Post")
	}
	if !lu && !lup {
		return nil
	}
	covered := slices.ContainsFunc(m.Signatures, func(s *Signature) bool {
		return s.Result == Pass && (!lu || s.Coverage.ListUnsubscribe) && (!lup || s.Coverage.ListUnsubscribePost)
	})
	if covered {
		return nil
	}
	return []Finding{{
		Code: CodeListUnsubscribeNotSigned, Severity: finding.Warning,
		Message: "The List-Unsubscribe header fields are not covered by a valid DKIM signature, so receivers will not offer one-click unsubscribe.",
		Fix:     "Add List-Unsubscribe and List-Unsubscribe-Post to the signer's h= list.",
		Ref:     "RFC 8058 §4",
	}}
}
