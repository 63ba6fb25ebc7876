package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mailcheck/mailcheck"
	"github.com/mailcheck/mailcheck/dnscheck"
	"github.com/urfave/cli/v2"
)

// Exit codes, documented in the README and in --help.
const (
	exitOK         = 0  // no failure (warnings allowed)
	exitFail       = 1  // at least one check failed
	exitUsage      = 2  // usage or input error
	exitIncomplete = 3  // no failure found, but DNS errors left the check incomplete
	exitInternal   = 70 // a bug in mailcheck (EX_SOFTWARE): please report it
)

// env is everything the app touches outside itself, so tests run it in-process.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
	// terminal reports whether stdout is a terminal (colour is used only then).
	terminal bool
	// width is the terminal's columns when stdout is one (0: unknown).
	width int
	// stderrTerminal reports whether stderr is a terminal (bulk shows progress then).
	stderrTerminal bool
	// ctx is the run's context (nil: context.Background); tests cancel it.
	ctx context.Context
}

func newEnv() *env {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if fi, err := os.Stdout.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.terminal = true
		e.width = terminalWidth()
	}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		e.stderrTerminal = true
	}
	return e
}

// exitError carries an exit code out of an action; its message, if any, goes to stderr.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// usageError is a bad invocation or bad input: exit 2 with a one-line message.
func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, msg: fmt.Sprintf(format, args...)}
}

// commands lists every subcommand, one constructor each.
func commands(e *env) []*cli.Command {
	return []*cli.Command{
		checkCommand(e),
		mxCommand(e),
		spfCommand(e),
		dmarcCommand(e),
		dkimCommand(e),
		transportCommand(e),
		attachmentsCommand(e),
		messageCommand(e),
		bounceCommand(e),
		bulkCommand(e),
		milterCommand(e),
		completionCommand(e),
		manCommand(e),
	}
}

func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:    "mailcheck",
		Version: version(),
		Usage:   "find out why your email is not delivered, and what to publish so it is",
		UsageText: "mailcheck [options] DOMAIN               the full scored report (same as `mailcheck check DOMAIN`)\n" +
			"mailcheck [options] command [arguments]  one check (mx, spf, dmarc, dkim), a message\n" +
			"                                         (attachments, message) or many domains (bulk)\n\n" +
			"Examples:\n" +
			"   mailcheck example.com\n" +
			"   mailcheck example.com --profile bulk-sender --ip 192.0.2.10 --format json\n" +
			"   mailcheck spf example.com --ip 192.0.2.10 --sender bounce@example.com\n" +
			"   mailcheck --zone testdata/zones/demo.zone example.com   (offline, from a zone file)",
		Description: "Exit codes: 0 no failure (warnings allowed); 1 at least one check failed;\n" +
			"2 usage or input error; 3 no failure found but the check is incomplete (DNS errors).\n" +
			"Flags may come before or after the domain.",
		Flags:                append(globalFlags(), reportFlags()...),
		Commands:             commands(e),
		Reader:               e.stdin,
		Writer:               e.stdout,
		ErrWriter:            e.stderr,
		HideHelpCommand:      false,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // run() maps errors to codes
		Action: func(c *cli.Context) error {
			if c.NArg() == 0 {
				cli.ShowAppHelp(c)
				return &exitError{code: exitUsage}
			}
			if c.NArg() > 1 {
				return usageError("unknown command %q; see `mailcheck --help` for the commands, or give one DOMAIN for the full report",
					c.Args().First())
			}
			return reportAction(c, e)
		},
		OnUsageError: func(c *cli.Context, err error, _ bool) error {
			return usageError("%s", explainUsage(err, flagNames(append(globalFlags(), reportFlags()...))))
		},
	}
	for _, c := range app.Commands {
		c.Flags = append(globalFlags(), c.Flags...)
		names, cmd := flagNames(c.Flags), c.Name
		c.OnUsageError = func(_ *cli.Context, err error, _ bool) error {
			if f := reportOnlyFlag(err, cmd); f != "" {
				return usageError("--%s belongs to the full report (mailcheck --%s ... DOMAIN), which the %s command does not make", f, f, cmd)
			}
			return usageError("%s", explainUsage(err, names))
		}
	}
	return app
}

// run executes the CLI and returns the exit code; it never calls os.Exit.
func run(args []string, e *env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(e.stderr, "mailcheck: internal error: %v\nThis is a bug in mailcheck %s, not in your input's format: please report it with the command line and the input (a domain, or the message file) so it can be reproduced.\n", r, version())
			code = exitInternal
		}
	}()
	if quiet(args) {
		q := *e
		q.stdout = io.Discard
		e = &q
	}
	app := newApp(e)
	ctx := e.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	err := app.RunContext(ctx, reorderArgs(app, args))
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			// Library errors carry their package's prefix; the user sees one.
			msg := ee.msg
			for _, p := range []string{"mailcheck: ", "dnscheck: "} {
				msg = strings.TrimPrefix(msg, p)
			}
			fmt.Fprintf(e.stderr, "mailcheck: %s\n", msg)
		}
		return ee.code
	}
	// Anything else from urfave/cli is a parsing problem (unknown flag, bad value).
	fmt.Fprintf(e.stderr, "mailcheck: %s\n", explainUsage(err, flagNames(append(globalFlags(), reportFlags()...))))
	return exitUsage
}

// quiet reports whether --quiet (-q) is among the flags: stdout is then discarded
// from the start, so no command needs to know about it.
func quiet(args []string) bool {
	for _, a := range args[1:] {
		switch a {
		case "--":
			return false
		case "--quiet", "-quiet", "-q", "--quiet=true", "-q=true":
			return true
		}
	}
	return false
}

// Global flags are accepted by the app and by every command, before or after arguments.
func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "resolver", Usage: "ask this DNS resolver (`HOST:PORT`, repeatable) instead of /etc/resolv.conf's"},
		&cli.StringFlag{Name: "zone", Usage: "answer DNS from this RFC 1035 master `FILE` instead of the network (offline)"},
		&cli.StringFlag{Name: "trust-anchor", Usage: "validate DNSSEC from the DS or DNSKEY records in `FILE` instead of the built-in root key (a private root; with --zone, a signed zone file)"},
		&cli.DurationFlag{Name: "timeout", Value: 30 * time.Second, Usage: "give up on the whole check after this `DURATION`"},
		&cli.StringFlag{Name: "format", Value: "text", Usage: "output `FORMAT`: text or json"},
		&cli.BoolFlag{Name: "no-color", Usage: "never colour the output (NO_COLOR is honoured too)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing on stdout: the exit code says it all (for scripts); errors still go to stderr"},
	}
}

// reorderArgs moves every flag in front of the positional arguments (after the command
// name), because urfave/cli v2 stops parsing flags at the first positional argument and
// people type `mailcheck mx example.com --format json` as often as the other order.
func reorderArgs(app *cli.App, args []string) []string {
	if len(args) < 2 {
		return args
	}
	takesValue := map[string]bool{}
	names := map[string]bool{}
	addFlags := func(fs []cli.Flag) {
		for _, f := range fs {
			tv, ok := f.(interface{ TakesValue() bool })
			for _, n := range f.Names() {
				takesValue[n] = ok && tv.TakesValue()
			}
		}
	}
	addFlags(app.Flags)
	for _, c := range app.Commands {
		addFlags(c.Flags)
		names[c.Name] = true
		for _, a := range c.Aliases {
			names[a] = true
		}
	}
	names["help"], names["h"] = true, true

	var command string
	var flags, positional []string
	dashdash := false
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "--":
			dashdash = true
			positional = append(positional, rest[i+1:]...)
			i = len(rest)
		case strings.HasPrefix(a, "-") && a != "-":
			flags = append(flags, a)
			name := strings.TrimLeft(a, "-")
			if !strings.Contains(name, "=") && takesValue[name] && i+1 < len(rest) {
				flags = append(flags, rest[i+1])
				i++
			}
		case command == "" && len(positional) == 0 && names[a]:
			command = a
		default:
			positional = append(positional, a)
		}
	}
	out := []string{args[0]}
	if command != "" {
		out = append(out, command)
	}
	out = append(out, flags...)
	if dashdash {
		out = append(out, "--")
	}
	return append(out, positional...)
}

// options are the global settings every command reads.
type options struct {
	format string
	color  bool
	// width is where prose wraps: the terminal's width, else $COLUMNS, else 80.
	width int
}

// readOptions reads the global flags; extra names formats beyond text and json that
// the command also writes (message: authres, bulk: csv).
func readOptions(c *cli.Context, e *env, extra ...string) (options, error) {
	o := options{format: c.String("format")}
	formats := append([]string{"text", "json"}, extra...)
	if !slices.Contains(formats, o.format) {
		return o, usageError("--format must be %s or %s, not %q", strings.Join(formats[:len(formats)-1], ", "), formats[len(formats)-1], o.format)
	}
	o.color = e.terminal && !c.Bool("no-color") && e.getenv("NO_COLOR") == ""
	o.width = e.width
	if n, err := strconv.Atoi(e.getenv("COLUMNS")); o.width == 0 && err == nil && n > 0 {
		o.width = n
	}
	return o, nil
}

// newResolver builds the DNS source from --zone or --resolver, with the DNSSEC trust
// anchor of --trust-anchor.
func newResolver(c *cli.Context) (*dnscheck.Resolver, error) {
	r, err := newSource(c)
	if err != nil {
		return nil, err
	}
	if f := c.String("trust-anchor"); f != "" {
		anchors, err := dnscheck.LoadTrustAnchors(f)
		if err == nil {
			err = r.SetTrustAnchors(anchors)
		}
		if err != nil {
			return nil, usageError("--trust-anchor: %s", strings.TrimPrefix(err.Error(), "dnscheck: "))
		}
	}
	return r, nil
}

func newSource(c *cli.Context) (*dnscheck.Resolver, error) {
	if zf := c.String("zone"); zf != "" {
		if len(c.StringSlice("resolver")) > 0 {
			return nil, usageError("--zone and --resolver cannot be used together")
		}
		z, err := dnscheck.LoadZoneFile(zf)
		if err != nil {
			return nil, usageError("%v", err)
		}
		return dnscheck.NewZoneResolver(z), nil
	}
	// A bad --resolver is a usage error, reported before anything is asked: left to
	// the first query it would read as a DNS timeout (exit 3) on every name.
	r, err := dnscheck.New(dnscheck.Options{Servers: c.StringSlice("resolver")})
	if errors.Is(err, dnscheck.ErrBadServer) {
		return nil, usageError("--resolver: %s", strings.TrimPrefix(err.Error(), "dnscheck: "))
	}
	if err != nil {
		return nil, usageError("%v", err)
	}
	return r, nil
}

// checkContext applies --timeout to the whole check.
func checkContext(c *cli.Context) (context.Context, context.CancelFunc, error) {
	t := c.Duration("timeout")
	if t <= 0 {
		return nil, nil, usageError("--timeout must be positive, not %s", t)
	}
	ctx, cancel := context.WithTimeout(c.Context, t)
	return ctx, cancel, nil
}

// domainRun is the common frame of a command that checks one domain: its options,
// the validated domain, the DNS source and the deadline.
type domainRun struct {
	env      *env
	opts     options
	domain   dnscheck.Domain
	resolver *dnscheck.Resolver
	ctx      context.Context
}

// startDomainRun validates the invocation of a one-domain command. The caller must
// call the returned cancel function.
func startDomainRun(c *cli.Context, e *env) (*domainRun, context.CancelFunc, error) {
	o, err := readOptions(c, e)
	if err != nil {
		return nil, nil, err
	}
	d, err := domainArg(c)
	if err != nil {
		return nil, nil, err
	}
	r, ctx, cancel, err := dnsSetup(c)
	if err != nil {
		return nil, nil, err
	}
	return &domainRun{env: e, opts: o, domain: d, resolver: r, ctx: ctx}, cancel, nil
}

// dnsSetup builds what every command that queries DNS needs: the source (--zone or
// --resolver) and the deadline (--timeout). The caller must call cancel.
func dnsSetup(c *cli.Context) (*dnscheck.Resolver, context.Context, context.CancelFunc, error) {
	r, err := newResolver(c)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel, err := checkContext(c)
	if err != nil {
		return nil, nil, nil, err
	}
	return r, ctx, cancel, nil
}

// emit prints a check as JSON, or as text with its header, the check-specific facts
// (details, may be nil) and the findings; it returns the exit status.
func (run *domainRun) emit(check *mailcheck.Check, details func(*printer)) error {
	if run.opts.format == "json" {
		if err := writeJSON(run.env.stdout, check); err != nil {
			return err
		}
		return exitFor(check.Status)
	}
	p := &printer{w: run.env.stdout, color: run.opts.color, width: run.opts.width}
	p.checkHeader(check)
	if details != nil {
		details(p)
	}
	p.findings(check.Findings)
	return exitFor(check.Status)
}

// domainArg returns the single DOMAIN argument, validated and in both forms.
func domainArg(c *cli.Context) (dnscheck.Domain, error) {
	if c.NArg() != 1 {
		cmd := "mailcheck"
		if c.Command != nil && c.Command.Name != "" && c.Command.Name != c.App.Name {
			cmd += " " + c.Command.Name
		}
		return dnscheck.Domain{}, usageError("%s needs exactly one DOMAIN argument (got %d); see `%s --help`", cmd, c.NArg(), cmd)
	}
	arg := c.Args().First()
	// A pasted URL or address: take its domain, and say so.
	if d, kind := dnscheck.DomainIn(arg); kind != "" {
		fmt.Fprintf(c.App.ErrWriter, "mailcheck: %q is %s; checking its domain, %s\n", clean(arg), kind, clean(d))
		arg = d
	}
	d, err := dnscheck.NormalizeDomain(arg)
	if err != nil {
		return d, usageError("%s", strings.TrimPrefix(err.Error(), "dnscheck: "))
	}
	return d, nil
}
