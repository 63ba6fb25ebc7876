package spf_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"

	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/mailcheck/mailcheck/internal/dnstest"
	"github.com/mailcheck/mailcheck/spf"
)

// The OpenSPF RFC 7208 suite is third-party data kept outside the repository, in
// shared/conformance beside the checkout; it is read in place.
const suiteRel = "shared/conformance/spf/rfc7208-tests.yml"

func suitePath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("MAILCHECK_SPF_SUITE"); p != "" {
		return p
	}
	// The module root is the parent of this package; shared/ sits beside the checkout
	// (CI, /work/main) or one level further up (a worktree under /work/wt).
	for _, up := range []string{"../..", "../../.."} {
		p := filepath.Join(up, suiteRel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return ""
}

type suiteCase struct {
	name, scenario string
	host           string
	mailfrom, helo string
	results        []string
	explanation    string
	hasExplanation bool
}

type scenario struct {
	description string
	cases       []suiteCase
	zone        *dnscheck.Zone
	drops       map[string][]uint16 // name -> types answered normally (all else dropped)
	literals    string              // the zone data as text, lower case
}

func TestConformanceRFC7208(t *testing.T) {
	path := suitePath(t)
	if path == "" {
		t.Skip("SPF conformance suite not found: set MAILCHECK_SPF_SUITE or place shared/conformance/spf/rfc7208-tests.yml beside the checkout")
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	scenarios := readSuite(t, f)

	total, passed, explTotal, explPassed := 0, 0, 0, 0
	for _, sc := range scenarios {
		srv := dnstest.Start(t, sc.zone)
		for name, keep := range sc.drops {
			srv.SetFault(name, 0, dnstest.Fault{Drop: true})
			for _, typ := range keep {
				srv.SetFault(name, typ, dnstest.Fault{})
			}
		}
		t.Run(sc.description, func(t *testing.T) {
			for _, c := range sc.cases {
				total++
				if c.hasExplanation {
					explTotal++
				}
				t.Run(c.name, func(t *testing.T) {
					// TIMEOUT entries cost Timeout × Attempts each; two attempts keep a
					// loaded machine's lost packet from turning into a false temperror.
					r, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}, Timeout: 400 * time.Millisecond, Attempts: 2})
					require.NoError(t, err)
					ip, err := netip.ParseAddr(c.host)
					require.NoError(t, err)
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					out := spf.Verify(ctx, r, ip, c.mailfrom, c.helo, spf.WithReceiver("receiver.example.org"))
					ok := assert.Contains(t, c.results, string(out.Result), "problem: %s; trace: %+v", out.Problem, out.Trace)
					if ok {
						passed++
					}
					if c.hasExplanation {
						got := out.Explanation
						if got == "" {
							got = "DEFAULT" // the suite's name for "no exp= text used"
						}
						if assert.Equal(t, c.explanation, got) && ok {
							explPassed++
						}
					}
				})
			}
		})
	}
	line := fmt.Sprintf("spf conformance: %d/%d results, %d/%d explanations", passed, total, explPassed, explTotal)
	fmt.Println(line)
	t.Log(line)
	assert.Equal(t, 203, total, "suite size")
	assert.Equal(t, 22, explTotal, "explanation cases")
	assert.Equal(t, total, passed, line)
	assert.Equal(t, explTotal, explPassed, line)
}

func readSuite(t *testing.T, r io.Reader) []scenario {
	t.Helper()
	dec := yaml.NewDecoder(r)
	var out []scenario
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		require.NoError(t, err)
		require.Equal(t, yaml.DocumentNode, doc.Kind)
		out = append(out, readScenario(t, doc.Content[0]))
	}
	return out
}

func mapping(n *yaml.Node) map[string]*yaml.Node {
	m := map[string]*yaml.Node{}
	if n == nil || n.Kind != yaml.MappingNode {
		return m
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		m[n.Content[i].Value] = n.Content[i+1]
	}
	return m
}

func readScenario(t *testing.T, n *yaml.Node) scenario {
	t.Helper()
	top := mapping(n)
	sc := scenario{description: top["description"].Value, drops: map[string][]uint16{}}
	tests := top["tests"]
	for i := 0; i+1 < len(tests.Content); i += 2 {
		m := mapping(tests.Content[i+1])
		c := suiteCase{name: tests.Content[i].Value, host: m["host"].Value, helo: m["helo"].Value}
		if v := m["mailfrom"]; v != nil {
			c.mailfrom = v.Value
		}
		if res := m["result"]; res.Kind == yaml.SequenceNode {
			for _, x := range res.Content {
				c.results = append(c.results, x.Value)
			}
		} else {
			c.results = []string{res.Value}
		}
		if v := m["explanation"]; v != nil {
			c.explanation, c.hasExplanation = v.Value, true
		}
		sc.cases = append(sc.cases, c)
	}
	sc.zone = buildZone(t, mapping(top["zonedata"]), sc.drops)
	text, err := yaml.Marshal(top["zonedata"])
	require.NoError(t, err)
	sc.literals = strings.ToLower(string(text))
	return sc
}

// buildZone serves the zonedata by the driver rules in SOURCE.md.
func buildZone(t *testing.T, data map[string]*yaml.Node, drops map[string][]uint16) *dnscheck.Zone {
	t.Helper()
	z, err := dnscheck.ParseZone(strings.NewReader(""), "suite")
	require.NoError(t, err)
	names := make([]string, 0, len(data))
	for name := range data {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		owner := dns.Fqdn(presentation(strings.ToLower(name)))
		hdr := func(typ uint16) dns.RR_Header {
			return dns.RR_Header{Name: owner, Rrtype: typ, Class: dns.ClassINET, Ttl: 300}
		}
		items := data[name].Content
		hasTXT := false
		for _, it := range items {
			if it.Kind == yaml.MappingNode && it.Content[0].Value == "TXT" {
				hasTXT = true
			}
		}
		var answered []uint16
		timeout := false
		for _, it := range items {
			if it.Kind == yaml.ScalarNode && it.Value == "TIMEOUT" {
				timeout = true
				break
			}
			require.Equal(t, yaml.MappingNode, it.Kind, "zonedata %s", name)
			key, val := it.Content[0].Value, it.Content[1]
			var rr dns.RR
			switch key {
			case "A":
				rr = &dns.A{Hdr: hdr(dns.TypeA), A: netip.MustParseAddr(val.Value).AsSlice()}
			case "AAAA":
				rr = &dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: netip.MustParseAddr(val.Value).AsSlice()}
			case "PTR":
				rr = &dns.PTR{Hdr: hdr(dns.TypePTR), Ptr: dns.Fqdn(val.Value)}
			case "CNAME":
				rr = &dns.CNAME{Hdr: hdr(dns.TypeCNAME), Target: dns.Fqdn(val.Value)}
			case "MX":
				pref, err := strconv.Atoi(val.Content[0].Value)
				require.NoError(t, err)
				rr = &dns.MX{Hdr: hdr(dns.TypeMX), Preference: uint16(pref), Mx: dns.Fqdn(val.Content[1].Value)}
			case "TXT", "SPF":
				// Rule 1: SPF entries become TXT only where the name has no TXT entry;
				// "TXT: NONE" only stops that copying.
				if key == "SPF" && hasTXT || key == "TXT" && val.Kind == yaml.ScalarNode && val.Value == "NONE" {
					continue
				}
				rr = &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: txtStrings(val)}
			default:
				t.Fatalf("zonedata %s: unknown record type %s", name, key)
			}
			z.Add(rr)
			answered = append(answered, rr.Header().Rrtype)
		}
		if timeout {
			// Rule 2: types listed before TIMEOUT answer; everything else times out.
			drops[owner] = answered
		}
	}
	return z
}

// txtStrings turns a TXT entry (a string, or a list for a multi-string record) into
// presentation-format strings with the raw bytes escaped.
func txtStrings(n *yaml.Node) []string {
	var raw []string
	if n.Kind == yaml.SequenceNode {
		for _, x := range n.Content {
			raw = append(raw, x.Value)
		}
	} else {
		raw = []string{n.Value}
	}
	out := make([]string, len(raw))
	for i, s := range raw {
		var b strings.Builder
		for j := 0; j < len(s); j++ {
			c := s[j]
			switch {
			case c == '"' || c == '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case c < 0x20 || c > 0x7e:
				fmt.Fprintf(&b, "\\%03d", c)
			default:
				b.WriteByte(c)
			}
		}
		out[i] = b.String()
	}
	return out
}

// presentation escapes the characters that miekg/dns escapes when it unpacks a name
// from the wire (a space in a macro-expanded name, say), so zone keys match queries.
func presentation(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if strings.IndexByte(` '@;()"\\`, name[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(name[i])
	}
	return b.String()
}

// The prefetching evaluation is the sequential one with its lookups started early: on
// every case of the suite both give the same result, explanation, problem, trace and
// counts, and every query that only the prefetching one sends names a domain written
// literally in the zone data (never a macro expansion).
var elapsed = regexp.MustCompile(`[0-9.]+m?s\b`)

func TestPrefetchingMatchesSequentialEvaluation(t *testing.T) {
	path := suitePath(t)
	if path == "" {
		t.Skip("SPF conformance suite not found: set MAILCHECK_SPF_SUITE or place shared/conformance/spf/rfc7208-tests.yml beside the checkout")
	}
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	cases, extra := 0, 0
	for _, sc := range readSuite(t, f) {
		srv := dnstest.Start(t, sc.zone)
		for name, keep := range sc.drops {
			srv.SetFault(name, 0, dnstest.Fault{Drop: true})
			for _, typ := range keep {
				srv.SetFault(name, typ, dnstest.Fault{})
			}
		}
		for _, c := range sc.cases {
			cases++
			t.Run(sc.description+"/"+c.name, func(t *testing.T) {
				run := func(plain bool, opts ...spf.Option) (*spf.Outcome, map[string]bool) {
					dr, err := dnscheck.New(dnscheck.Options{Servers: []string{srv.Addr}, Timeout: 400 * time.Millisecond, Attempts: 2})
					require.NoError(t, err)
					var r spf.Resolver = dr
					if plain {
						// Hide dnscheck's shared queries, as *net.Resolver has none:
						// the evaluation then reads through its own memo.
						r = struct{ spf.Resolver }{dr}
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
					defer cancel()
					srv.ResetLog()
					opts = append(opts, spf.WithReceiver("receiver.example.org"), spf.WithNow(func() time.Time { return time.Unix(1e9, 0) }))
					out := spf.Verify(ctx, r, netip.MustParseAddr(c.host), c.mailfrom, c.helo, opts...)
					// A timeout's message says how long it waited: not part of the outcome.
					out.Problem = elapsed.ReplaceAllString(out.Problem, "Nms")
					for i := range out.Trace {
						out.Trace[i].Detail = elapsed.ReplaceAllString(out.Trace[i].Detail, "Nms")
					}
					sent := map[string]bool{}
					for _, q := range srv.Log() {
						sent[q.Type+" "+q.Name] = true
					}
					return out, sent
				}
				seq, seqSent := run(false, spf.WithSequential())
				for _, plain := range []bool{false, true} {
					pre, preSent := run(plain)
					assert.Equal(t, seq.Result, pre.Result)
					assert.Equal(t, seq.Explanation, pre.Explanation)
					assert.Equal(t, seq.Problem, pre.Problem)
					assert.Equal(t, seq.Lookups, pre.Lookups, "lookups")
					assert.Equal(t, seq.VoidLookups, pre.VoidLookups, "void lookups")
					assert.Equal(t, seq.Trace, pre.Trace)
					for q := range preSent {
						if seqSent[q] {
							continue
						}
						extra++
						name := strings.TrimSuffix(q[strings.IndexByte(q, ' ')+1:], ".")
						assert.Contains(t, sc.literals, name, "prefetched %s is not a literal name of the zone", q)
					}
				}
			})
		}
	}
	t.Logf("%d cases, each prefetched through dnscheck and through a memo; %d queries sent ahead that the sequential evaluation did not need", cases, extra)
}
