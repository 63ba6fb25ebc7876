package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	gomilter "github.com/d--j/go-milter"
	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/milter"
	"github.com/urfave/cli/v2"
)

func milterCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "milter",
		Usage:     "run the pre-send check inside Postfix or Sendmail, as a milter",
		ArgsUsage: " ",
		Description: "Serves the milter protocol: the MTA hands over each message, mailcheck checks it\n" +
			"as `mailcheck message` does (header, DKIM, predicted DMARC, attachments) and answers:\n" +
			"deliver, deliver tagged, hold, or refuse with a reply the sender's mail client shows.\n" +
			"Each kind of problem has its action (--on-*); the defaults reject forbidden\n" +
			"attachments and tag the rest. Delivered messages get an Authentication-Results and\n" +
			"an X-Mailcheck field (--headers). One line is logged per message on stderr\n" +
			"(--format text: logfmt, or json). --timeout bounds each message's check, counted\n" +
			"from the end of the message; DNS answers are cached across messages.\n" +
			"SIGTERM or Ctrl-C stops accepting connections and finishes the messages in flight.\n\n" +
			"Postfix (main.cf):\n" +
			"   smtpd_milters = inet:127.0.0.1:8891\n" +
			"   non_smtpd_milters = $smtpd_milters\n" +
			"   milter_default_action = accept\n\n" +
			"Examples:\n" +
			"   mailcheck milter --listen inet:127.0.0.1:8891 --ip 203.0.113.5\n" +
			"   mailcheck milter --listen unix:/run/mailcheck/milter.sock --on-dmarc reject --receiver all",
		Flags: append(attachmentFlags(),
			&cli.StringFlag{Name: "listen", Value: "inet:127.0.0.1:8891", Usage: "the milter `SOCKET`: inet:HOST:PORT, inet6:[ADDR]:PORT or unix:/PATH (as in smtpd_milters)"},
			&cli.StringFlag{Name: "ip", Usage: "the `IP` receivers see this MTA send from (its public outbound address), for SPF and DMARC; or \"client\" for the SMTP client's address (on a receiving MTA). Without it, SPF is not checked and DMARC failures are never certain"},
			&cli.StringFlag{Name: "helo", Usage: "the `NAME` this MTA greets receivers with, for the null sender's SPF (default: the MTA's host name)"},
			&cli.StringFlag{Name: "on-attachment", Value: string(milter.DefaultPolicy.Attachment), Usage: "`ACTION` for a file a receiver rejects (.exe, also in an archive): reject (554 5.7.1), hold, tag or accept"},
			&cli.StringFlag{Name: "on-dmarc", Value: string(milter.DefaultPolicy.DMARC), Usage: "`ACTION` when DMARC is certain to fail under p=quarantine or p=reject: reject (550 5.7.1), hold, tag or accept"},
			&cli.StringFlag{Name: "on-header", Value: string(milter.DefaultPolicy.Header), Usage: "`ACTION` for header errors receivers reject (two From fields, no Date): reject (554 5.6.0), hold, tag or accept"},
			&cli.StringFlag{Name: "on-dns-error", Value: string(milter.DefaultPolicy.DNSError), Usage: "`ACTION` when DNS failures leave the check incomplete: tempfail (451 4.4.3), tag or accept"},
			&cli.StringFlag{Name: "on-timeout", Value: string(milter.DefaultPolicy.Timeout), Usage: "`ACTION` when the check runs out of --timeout (or waits that long for a free slot): tempfail (451 4.4.3), tag or accept"},
			&cli.StringFlag{Name: "on-too-large", Value: string(milter.DefaultPolicy.TooLarge), Usage: "`ACTION` for a message over --max-size, which is not checked: reject (552 5.3.4), tempfail, tag or accept"},
			&cli.StringFlag{Name: "headers", Value: "authres,x-mailcheck", Usage: "`FIELDS` added to delivered messages: authres, x-mailcheck, both (comma-separated) or none; a tag adds X-Mailcheck regardless"},
			&cli.StringFlag{Name: "authserv-id", Usage: "the checker's `NAME` in Authentication-Results (default: the MTA's host name)"},
			&cli.StringFlag{Name: "max-size", Value: "64M", Usage: "messages over this `SIZE` (bytes, or with K, M, G) are not checked"},
			&cli.IntFlag{Name: "max-concurrent", Value: milter.DefaultMaxConcurrent, Usage: "at most `N` checks at once; more wait, within --timeout"},
			&cli.DurationFlag{Name: "shutdown-timeout", Value: 30 * time.Second, Usage: "on SIGTERM, wait this `DURATION` at most for the messages in flight"},
			&cli.StringFlag{Name: "profile", Value: string(mailcheck.ProfileDefault), Usage: "`PROFILE`: default, or bulk-sender (also requires one-click unsubscribe, RFC 8058, signed)"},
			&cli.BoolFlag{Name: "expect-signing", Usage: "the MTA DKIM-signs after this milter (e.g. OpenDKIM listed after it): assume an aligned signature"},
			&cli.BoolFlag{Name: "reputation", Usage: "also look each message's link domains up in DNS blocklists (Spamhaus DBL, SURBL) through --resolver, which must be your own; a listing is reported in X-Mailcheck (message.link-listed), a failed lookup is a DNS error (--on-dns-error)"}),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError("milter takes no arguments (got %q); the socket is --listen", c.Args().First())
			}
			format := c.String("format")
			if format != "text" && format != "json" {
				return usageError("--format must be text (logfmt lines) or json for the milter's log, not %q", format)
			}
			cfg, err := milterConfig(c)
			if err != nil {
				return err
			}
			if c.Duration("timeout") <= 0 {
				return usageError("--timeout must be positive, not %s", c.Duration("timeout"))
			}
			r, err := newResolver(c)
			if err != nil {
				return err
			}
			var h slog.Handler = slog.NewTextHandler(e.stderr, nil)
			if format == "json" {
				h = slog.NewJSONHandler(e.stderr, nil)
			}
			cfg.Logger = slog.New(h)
			gomilter.LogWarning = func(f string, v ...any) { cfg.Logger.Warn(fmt.Sprintf(f, v...)) }
			cfg.CheckOptions = []mailcheck.Option{
				mailcheck.WithResolver(r), // one cache for every connection
				mailcheck.WithProfile(mailcheck.Profile(c.String("profile"))),
				mailcheck.WithAttachmentOptions(attachmentOptions(c)...),
			}
			if c.Bool("expect-signing") {
				cfg.CheckOptions = append(cfg.CheckOptions, mailcheck.WithExpectSigning())
			}
			if c.Bool("reputation") {
				cfg.CheckOptions = append(cfg.CheckOptions, mailcheck.WithReputation(true))
			}
			srv, err := milter.NewServer(cfg)
			if err != nil {
				return usageError("%s", strings.TrimPrefix(err.Error(), "milter: "))
			}
			ln, err := milter.Listen(c.String("listen"))
			if err != nil {
				return usageError("--listen: %s", strings.TrimPrefix(err.Error(), "milter: "))
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			cfg.Logger.Info("listening", "socket", c.String("listen"), "version", version(), "ip", c.String("ip"),
				"on_attachment", cfg.Policy.Attachment, "on_dmarc", cfg.Policy.DMARC, "on_header", cfg.Policy.Header,
				"on_dns_error", cfg.Policy.DNSError, "on_timeout", cfg.Policy.Timeout, "on_too_large", cfg.Policy.TooLarge)
			select {
			case err := <-served:
				return &exitError{code: exitIncomplete, msg: fmt.Sprintf("the milter stopped: %v", err)}
			case <-ctx.Done():
			}
			stop() // a second signal ends the process at once
			cfg.Logger.Info("shutting down: finishing the messages in flight", "within", c.Duration("shutdown-timeout").String())
			sctx, cancel := context.WithTimeout(context.Background(), c.Duration("shutdown-timeout"))
			defer cancel()
			if err := srv.Shutdown(sctx); err != nil {
				cfg.Logger.Warn("stopped before every message in flight was answered", "error", err.Error())
			}
			<-served
			cfg.Logger.Info("stopped")
			return nil
		},
	}
}

// milterConfig reads the policy, envelope, header and limit flags.
func milterConfig(c *cli.Context) (milter.Config, error) {
	cfg := milter.Config{
		Policy: milter.Policy{
			Attachment: milter.Action(c.String("on-attachment")),
			DMARC:      milter.Action(c.String("on-dmarc")),
			Header:     milter.Action(c.String("on-header")),
			DNSError:   milter.Action(c.String("on-dns-error")),
			Timeout:    milter.Action(c.String("on-timeout")),
			TooLarge:   milter.Action(c.String("on-too-large")),
		},
		HELO:          c.String("helo"),
		AuthservID:    c.String("authserv-id"),
		Timeout:       c.Duration("timeout"),
		MaxConcurrent: c.Int("max-concurrent"),
	}
	if err := cfg.Policy.Validate(); err != nil {
		// Name the flag: "--on-dns-error: "hold" is not an action ...".
		msg := strings.TrimPrefix(err.Error(), "milter: ")
		for _, f := range []string{"attachment", "dmarc", "header", "dns", "timeout", "too-large"} {
			if strings.Contains(msg, "for "+f+" problems") {
				flag := "on-" + f
				if f == "dns" {
					flag = "on-dns-error"
				}
				return cfg, usageError("--%s: %s", flag, msg)
			}
		}
		return cfg, usageError("%s", msg)
	}
	switch ip := strings.TrimSpace(c.String("ip")); ip {
	case "":
	case "client":
		cfg.UseClientIP = true
	default:
		a, err := netip.ParseAddr(ip)
		if err != nil {
			return cfg, usageError("--ip %q is neither an IP address nor \"client\"", ip)
		}
		cfg.SendingIP = a
	}
	for _, f := range strings.Split(c.String("headers"), ",") {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "authres", "authentication-results":
			cfg.AddAuthResults = true
		case "x-mailcheck":
			cfg.AddXMailcheck = true
		case "both":
			cfg.AddAuthResults, cfg.AddXMailcheck = true, true
		case "none", "":
		default:
			return cfg, usageError("--headers: %q is not a field; give authres, x-mailcheck, both or none", f)
		}
	}
	n, err := parseSize(c.String("max-size"))
	if err != nil {
		return cfg, usageError("--max-size: %v", err)
	}
	cfg.MaxSize = n
	if cfg.MaxConcurrent <= 0 {
		return cfg, usageError("--max-concurrent must be at least 1, not %d", cfg.MaxConcurrent)
	}
	return cfg, nil
}

// parseSize reads "10485760", "64M", "512K" or "1G" (powers of 1024).
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	if s != "" {
		switch strings.ToUpper(s[len(s)-1:]) {
		case "K":
			mult = 1 << 10
		case "M":
			mult = 1 << 20
		case "G":
			mult = 1 << 30
		}
		if mult > 1 {
			s = s[:len(s)-1]
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("%q is not a size; write bytes, or a number with K, M or G (64M)", s)
	}
	return n * mult, nil
}
