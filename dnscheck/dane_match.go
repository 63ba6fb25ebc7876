package dnscheck

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"time"
)

// TLSAMatch is how a presented certificate chain fares against a host's TLSA records.
type TLSAMatch struct {
	// Matched: a usable record authenticates the chain (RFC 7672 §3.1).
	Matched bool `json:"matched"`
	// Record is the record that matched (nil when none did).
	Record *TLSARecord `json:"record,omitempty"`
	// Reason says which certificate matched which record, or why none did.
	Reason string `json:"reason"`
}

// MatchTLSA checks the chain a server presented (leaf first, as in
// tls.ConnectionState.PeerCertificates) against the usable records of a TLSA set, as
// an SMTP client that does DANE does (RFC 7672 §3.1, RFC 6698 §2.1):
//
//   - DANE-EE(3) matches the leaf alone, its full certificate (selector 0) or its
//     SubjectPublicKeyInfo (selector 1), exactly or by SHA-256/512. RFC 7672 §3.1.1:
//     the names and validity dates of the leaf are not checked.
//   - DANE-TA(2) matches a certificate of the chain above the leaf; the leaf must then
//     chain to it and carry one of names (the MX host name; RFC 7672 §3.2.2), valid
//     at now.
//
// Records that are not Usable are skipped. It is a pure function: no I/O.
func MatchTLSA(records []TLSARecord, chain []*x509.Certificate, names []string, now time.Time) TLSAMatch {
	if len(chain) == 0 {
		return TLSAMatch{Reason: "no certificate was presented"}
	}
	usable := 0
	var taReasons []string
	for i := range records {
		rec := &records[i]
		if !rec.Usable {
			continue
		}
		usable++
		switch rec.Usage {
		case usageDANEEE:
			if tlsaData(rec, chain[0]) == rec.Data {
				return TLSAMatch{Matched: true, Record: rec,
					Reason: fmt.Sprintf("the server certificate (%s) matches TLSA %d %d %d", chain[0].Subject, rec.Usage, rec.Selector, rec.MatchingType)}
			}
		case usageDANETA:
			for j := 1; j < len(chain); j++ {
				if tlsaData(rec, chain[j]) != rec.Data {
					continue
				}
				if err := verifyToAnchor(chain, j, names, now); err != nil {
					taReasons = append(taReasons, fmt.Sprintf("%s matches TLSA %d %d %d but the server certificate does not verify under it: %v",
						chain[j].Subject, rec.Usage, rec.Selector, rec.MatchingType, err))
					continue
				}
				return TLSAMatch{Matched: true, Record: rec,
					Reason: fmt.Sprintf("the chain's %s matches TLSA %d %d %d and the server certificate verifies under it", chain[j].Subject, rec.Usage, rec.Selector, rec.MatchingType)}
			}
		}
	}
	switch {
	case usable == 0:
		return TLSAMatch{Reason: "no TLSA record is usable"}
	case len(taReasons) > 0:
		return TLSAMatch{Reason: taReasons[0]}
	}
	return TLSAMatch{Reason: fmt.Sprintf("none of the %d usable TLSA record(s) matches the presented chain (server certificate %s, issued by %s)",
		usable, chain[0].Subject, chain[0].Issuer)}
}

// tlsaData is the hex a record with rec's selector and matching type would hold for c.
func tlsaData(rec *TLSARecord, c *x509.Certificate) string {
	var b []byte
	switch rec.Selector {
	case 0:
		b = c.Raw
	case 1:
		b = c.RawSubjectPublicKeyInfo
	default:
		return ""
	}
	switch rec.MatchingType {
	case 1:
		s := sha256.Sum256(b)
		b = s[:]
	case 2:
		s := sha512.Sum512(b)
		b = s[:]
	case 0:
	default:
		return ""
	}
	return hex.EncodeToString(b)
}

// verifyToAnchor verifies the leaf up to chain[anchor] as the one root, with the
// certificates between as intermediates, for one of names.
func verifyToAnchor(chain []*x509.Certificate, anchor int, names []string, now time.Time) error {
	roots := x509.NewCertPool()
	roots.AddCert(chain[anchor])
	inter := x509.NewCertPool()
	for _, c := range chain[1:anchor] {
		inter.AddCert(c)
	}
	var err error
	for _, n := range names {
		_, err = chain[0].Verify(x509.VerifyOptions{DNSName: n, Roots: roots, Intermediates: inter, CurrentTime: now,
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		if err == nil {
			return nil
		}
	}
	if err == nil {
		err = fmt.Errorf("no name to check")
	}
	return err
}
