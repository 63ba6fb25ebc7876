// Command sink is a rejecting SMTP server for generating the bounce corpus: it listens
// on 127.0.0.1 only and answers each recipient with the reply its rules file gives
// (at RCPT or after DATA), so a real MTA sending to it writes real bounces. The
// replies are the providers' published rejection texts (see ../cases.txt).
//
//	go run ./testdata/bounce/generate/sink -rules testdata/bounce/generate/cases.txt
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
)

// rule is the reply for one recipient: at RCPT or at the end of DATA.
type rule struct {
	stage string   // "RCPT" or "DATA"
	lines []string // the reply, one element per line, with its code ("550 5.7.1 ...")
}

func main() {
	rulesFile := flag.String("rules", "cases.txt", "the cases file")
	addr := flag.String("listen", "127.0.0.1:2525", "listen address (loopback only)")
	smallAddr := flag.String("listen-small", "127.0.0.1:2526", "a second listener that advertises SIZE 4000")
	flag.Parse()
	rules, err := loadRules(*rulesFile)
	if err != nil {
		log.Fatal(err)
	}
	for _, a := range []string{*addr, *smallAddr} {
		if h, _, _ := net.SplitHostPort(a); h != "127.0.0.1" && h != "::1" {
			log.Fatalf("refusing to listen on %s: loopback only", a)
		}
	}
	go serve(*smallAddr, rules, 4000)
	serve(*addr, rules, 0)
}

// loadRules reads cases.txt: "name | recipient | stage | reply line | reply line ...".
func loadRules(path string) (map[string]rule, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string]rule{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, " | ")
		if len(cols) < 3 {
			return nil, fmt.Errorf("bad case line %q", line)
		}
		if len(cols) < 4 {
			continue // handled by Postfix itself, not the sink
		}
		out[strings.ToLower(cols[1])] = rule{stage: cols[2], lines: cols[3:]}
	}
	return out, sc.Err()
}

func serve(addr string, rules map[string]rule, size int) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		log.Fatal(err)
	}
	log.Printf("sink listening on %s", addr)
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go session(c, rules, size)
	}
}

func session(c net.Conn, rules map[string]rule, size int) {
	defer c.Close()
	ip, _, _ := net.SplitHostPort(c.RemoteAddr().String())
	r := bufio.NewReader(c)
	w := bufio.NewWriter(c)
	reply := func(lines ...string) {
		for i, l := range lines {
			l = strings.ReplaceAll(l, "{ip}", ip)
			if i < len(lines)-1 && len(l) > 3 {
				l = l[:3] + "-" + l[4:] // continuation lines: "550-5.7.26 ..."
			}
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	reply("220 mx.sink.test ESMTP sink")
	var dataRule *rule
	accepted := 0
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"):
			ext := []string{"250 mx.sink.test", "250 8BITMIME"}
			if size > 0 {
				ext = append(ext, fmt.Sprintf("250 SIZE %d", size))
			}
			reply(ext...)
		case strings.HasPrefix(cmd, "HELO"):
			reply("250 mx.sink.test")
		case strings.HasPrefix(cmd, "MAIL"):
			dataRule, accepted = nil, 0
			// The listener that advertises SIZE holds to it (RFC 1870 §6.1): Postfix
			// bounces such a message itself before MAIL, Exim sends it with SIZE= and
			// lets the server refuse it.
			if n := sizeParam(cmd); size > 0 && n > size {
				reply("552 5.3.4 Message size exceeds fixed maximum message size")
				continue
			}
			reply("250 2.1.0 Ok")
		case strings.HasPrefix(cmd, "RCPT"):
			rcpt := strings.ToLower(strings.Trim(strings.TrimSpace(line[strings.Index(line, ":")+1:]), "<> \r\n"))
			if i := strings.IndexByte(rcpt, '>'); i >= 0 {
				rcpt = rcpt[:i]
			}
			ru, ok := rules[rcpt]
			switch {
			case ok && ru.stage == "RCPT":
				reply(ru.lines...)
			case ok:
				dataRule = &ru
				accepted++
				reply("250 2.1.5 Ok")
			default:
				accepted++
				reply("250 2.1.5 Ok")
			}
		case cmd == "DATA":
			if accepted == 0 {
				reply("554 5.5.1 No valid recipients")
				continue
			}
			reply("354 End data with <CR><LF>.<CR><LF>")
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" || l == ".\n" {
					break
				}
			}
			if dataRule != nil {
				reply(dataRule.lines...)
			} else {
				reply("250 2.0.0 Ok: queued")
			}
		case cmd == "RSET":
			dataRule, accepted = nil, 0
			reply("250 2.0.0 Ok")
		case cmd == "NOOP":
			reply("250 2.0.0 Ok")
		case cmd == "QUIT":
			reply("221 2.0.0 Bye")
			return
		default:
			reply("502 5.5.2 Error: command not recognized")
		}
	}
}

// sizeParam returns the SIZE= value of a MAIL command (RFC 1870 §3), 0 if absent.
func sizeParam(cmd string) int {
	for _, f := range strings.Fields(cmd) {
		if v, ok := strings.CutPrefix(f, "SIZE="); ok {
			n, _ := strconv.Atoi(v)
			return n
		}
	}
	return 0
}
