// Command hotpath is a terminal UI profiling explorer: it loads profiles,
// SQL logs and traces, and shows where the time goes and why.
//
//	hotpath [flags] INPUT...          open the TUI
//	hotpath report [flags] INPUT...   print the report (text, md or json)
//	hotpath demo                      open the TUI on the built-in demo data
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"hotpath/cmd/hotpath/demo"
	"hotpath/parse"
	everyformat "hotpath/parse/formats"
	"hotpath/tui"
	"hotpath/tui/clipboard"
	"hotpath/tui/keys"
	"hotpath/tui/theme"
	"hotpath/views"
	"hotpath/views/detect"
	"hotpath/views/report"
	"hotpath/views/termsafe"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `hotpath — where does the time go, and why?

Usage:
  hotpath [flags] INPUT...            open the TUI on files, directories, - (stdin) or pprof URLs
  hotpath report [flags] INPUT...     print the same views as text, md or json
  hotpath demo [flags] [NAME]         open the TUI on built-in data recorded from real programs:
                                      goshop (default), pyshop or workload

INPUT is a file (format sniffed from its content; gzip/zstd undone), a
directory (every file inside), - for stdin, or an http(s) URL such as
http://host:6060/debug/pprof/profile?seconds=5.

Flags:
`

// config is every flag.
type config struct {
	format        string
	sampleIndex   string
	focus, ignore string
	nodecount     int
	logLinePrefix string
	accessUnit    string
	maxInput      sizeFlag
	maxMemory     sizeFlag
	timeout       float64
	theme         string
	keysFile      string
	demo          bool
	pprofOut      string
	failOn        string
	noDetect      bool
	nplus1Min     int
	dupMin        int
	unitGap       time.Duration
	slowMean      time.Duration
	samplePeriod  time.Duration
	cpuShare      float64
}

func newFlagSet(name string, cfg *config, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.format, "format", "text", "report format: text, md or json (report only)")
	fs.StringVar(&cfg.sampleIndex, "sample_index", "", "sample type to show, as pprof: a name (cpu, alloc_space, delay …), type/unit, or an index")
	fs.StringVar(&cfg.focus, "focus", "", "keep only samples with a frame matching this regexp (function or file name)")
	fs.StringVar(&cfg.ignore, "ignore", "", "drop samples with a frame matching this regexp")
	fs.IntVar(&cfg.nodecount, "nodecount", 0, "show at most this many functions (0: all)")
	fs.StringVar(&cfg.logLinePrefix, "log-line-prefix", "", "PostgreSQL log_line_prefix of stderr logs (default: inferred)")
	fs.StringVar(&cfg.accessUnit, "access-duration-unit", "", "access logs: unit of durations logged as bare numbers — s, ms, us or ns (default: inferred; Apache %D is us, %{ms}T ms, %T s)")
	cfg.maxInput.n = 1 << 30
	fs.Var(&cfg.maxInput, "max-input", "largest input (decompressed `size`, in bytes or with a unit) that a whole-document format (pprof, JSON) may read into memory")
	cfg.maxMemory.n = parse.DefaultMaxMemory()
	fs.Var(&cfg.maxMemory, "max-memory", "memory budget of the whole run, shared by inputs loading in parallel: a `size` in bytes or with a unit (512MiB, 2GiB), 0 for none; by default a quarter of the machine's (or cgroup's) memory, at most 4GiB")
	fs.Float64Var(&cfg.timeout, "timeout", 0, "seconds to wait for a URL (default: the profile's seconds + 30, or 60), and for a FIFO, device, socket or piped stdin to deliver (default 60)")
	fs.StringVar(&cfg.theme, "theme", "auto", "TUI colours: dark, light, or auto (from the terminal's background); NO_COLOR turns colour off")
	fs.StringVar(&cfg.keysFile, "keys", "", "JSON file of key bindings, action → keys (default: $XDG_CONFIG_HOME/hotpath/keys.json if it exists)")
	fs.StringVar(&cfg.pprofOut, "pprof-out", "", "write the blocking profiles derived from Go execution traces into this directory as .pb.gz (report only)")
	fs.BoolVar(&cfg.demo, "demo", false, "use the built-in demo data as input (implied by the demo command); a name after it picks goshop (default), pyshop or workload")
	fs.BoolVar(&cfg.noDetect, "no-detect", false, "skip the detectors: digests, hotspots and traces only (to measure what detection costs)")
	fs.StringVar(&cfg.failOn, "fail-on", "", "report only: exit 3 when a finding is at least this severe (critical, high, medium, low, info) — a CI gate")
	def := views.DefaultOptions()
	fs.IntVar(&cfg.nplus1Min, "nplus1-min", def.SQL.MinRepeats, "n_plus_one: statements of one fingerprint with differing parameters in one unit of work or under one parent span")
	fs.IntVar(&cfg.dupMin, "duplicate-min", def.SQL.MinDuplicates, "cacheable_duplicate: executions of one read with the same parameters")
	fs.DurationVar(&cfg.unitGap, "unit-gap", def.SQL.WindowGap, "SQL logs: silence on a session that ends a unit of work (transactions and disconnections end it too)")
	fs.DurationVar(&cfg.slowMean, "slow-mean", def.SQL.SlowMean, "slow_query: mean duration that makes a fingerprint slow (p95 threshold is 2.5×)")
	fs.DurationVar(&cfg.samplePeriod, "sample-period", def.Profile.SamplePeriod, "folded stacks: time one sample stands for (py-spy's default rate is 100 Hz)")
	fs.Float64Var(&cfg.cpuShare, "cpu-hotspot-share", def.Profile.CPUHotspotShare, "cpu_hotspot: share of CPU time under one application function")
	return fs
}

// parseArgs parses flags anywhere among the arguments (pprof users write
// flags after the file too).
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Errors quote file names, parse-error excerpts and HTTP bodies: every
	// byte to stderr goes through the sanitiser, and each message is one
	// line (printErr).
	stderr = termsafe.NewWriter(stderr)
	cmd := "tui"
	if len(args) > 0 && (args[0] == "report" || args[0] == "demo") {
		cmd, args = args[0], args[1:]
	}
	var cfg config
	fs := newFlagSet("hotpath "+cmd, &cfg, stderr)
	inputsArgs, err := parseArgs(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	opt, err := cfg.viewOptions()
	if err != nil {
		printErr(stderr, err)
		return 2
	}
	var inputs []*parse.Input
	switch {
	case cmd == "demo" || cfg.demo:
		// `hotpath demo [NAME]`, `hotpath report -demo [NAME]`
		name := ""
		if len(inputsArgs) > 1 {
			fmt.Fprintln(stderr, "hotpath: demo takes at most one name:", strings.Join(demo.Names, ", "))
			return 2
		} else if len(inputsArgs) == 1 {
			name = inputsArgs[0]
		}
		if inputs, err = demo.Inputs(name); err != nil {
			printErr(stderr, err)
			return 2
		}
	case len(inputsArgs) == 0:
		fs.Usage()
		return 2
	default:
		inputs = parse.Expand(inputsArgs, stdin)
	}
	budget, restore := memoryBudget(cfg.maxMemory.n)
	defer restore()
	popt := parse.Options{MaxWholeInput: cfg.maxInput.n, LogLinePrefix: cfg.logLinePrefix,
		HTTPTimeout: secondsToDuration(cfg.timeout), IdleTimeout: secondsToDuration(cfg.timeout), Budget: budget}
	if popt.AccessLogDurationUnit, err = durationUnit(cfg.accessUnit); err != nil {
		printErr(stderr, err)
		return 2
	}
	// Inputs that carry the same events as another (one server's log in
	// several formats) are matched before anything is counted.
	views.MatchSameEvents(context.Background(), inputs, formats(), popt)
	collector := views.NewStandardCollector(opt)
	load := func(ctx context.Context, in *parse.Input) error {
		return parse.Load(ctx, in, formats(), collector, popt)
	}
	if cmd == "report" {
		return runReport(cfg, opt, inputs, collector, load, stdout, stderr)
	}
	return runTUI(cmd, cfg, opt, inputs, collector, load, stderr)
}

func (c config) viewOptions() (views.Options, error) {
	opt := views.DefaultOptions()
	opt.SQL.MinRepeats, opt.SQL.MinDuplicates, opt.SQL.WindowGap = c.nplus1Min, c.dupMin, c.unitGap
	opt.SQL.SlowMean, opt.SQL.SlowP95 = c.slowMean, c.slowMean*5/2
	opt.Profile.SamplePeriod, opt.Profile.CPUHotspotShare = c.samplePeriod, c.cpuShare
	opt.NoDetect = c.noDetect
	if c.failOn != "" {
		if _, ok := detect.ParseSeverity(c.failOn); !ok {
			return opt, fmt.Errorf("-fail-on %q: want critical, high, medium, low or info", c.failOn)
		}
	}
	opt.Hotspots.SampleType = c.sampleIndex
	opt.Hotspots.NodeCount = c.nodecount
	var err error
	if c.focus != "" {
		if opt.Hotspots.Focus, err = regexp.Compile(c.focus); err != nil {
			return opt, fmt.Errorf("-focus: %w", err)
		}
	}
	if c.ignore != "" {
		if opt.Hotspots.Ignore, err = regexp.Compile(c.ignore); err != nil {
			return opt, fmt.Errorf("-ignore: %w", err)
		}
	}
	return opt, nil
}

// durationUnit reads -access-duration-unit.
func durationUnit(s string) (time.Duration, error) {
	switch s {
	case "":
		return 0, nil
	case "s":
		return time.Second, nil
	case "ms":
		return time.Millisecond, nil
	case "us", "µs":
		return time.Microsecond, nil
	case "ns":
		return time.Nanosecond, nil
	}
	return 0, fmt.Errorf("-access-duration-unit %q: want s, ms, us or ns", s)
}

// formats is every format hotpath reads, in sniffing order. Access logs
// and Python application logs come last: their sniffing only claims what
// the SQL and trace formats did not; an access log's sniffer wants a log of
// access records alone, a Python log that mixes them with other loggers'
// records is the application-log reader's.
func formats() []parse.Format {
	return everyformat.All()
}

// loadAll loads inputs in parallel and reports each failure on one line.
// It returns how many loaded.
func loadAll(ctx context.Context, inputs []*parse.Input, collector *views.Collector,
	load func(context.Context, *parse.Input) error, stderr io.Writer) int {
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	errs := make([]error, len(inputs))
	for i, in := range inputs {
		collector.AddSource(in.Src)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = load(ctx, in)
		}()
	}
	wg.Wait()
	loaded := 0
	for i, err := range errs {
		switch {
		case err != nil:
			printErr(stderr, err)
		case inputs[i].Src.NotRead() == "": // a listed symlink or FIFO did not load
			loaded++
		}
	}
	return loaded
}

func runReport(cfg config, opt views.Options, inputs []*parse.Input, collector *views.Collector,
	load func(context.Context, *parse.Input) error, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	loaded := loadAll(ctx, inputs, collector, load, stderr)
	v := views.Build(collector, opt)
	if cfg.pprofOut != "" {
		if err := writeDerivedProfiles(cfg.pprofOut, collector.Profiles(), stderr); err != nil {
			printErr(stderr, err)
			return 1
		}
	}
	if err := report.Write(stdout, v, cfg.format); err != nil {
		printErr(stderr, err)
		return 2
	}
	if v.HotspotsErr != nil {
		printErr(stderr, v.HotspotsErr)
	}
	if loaded == 0 {
		fmt.Fprintf(stderr, "hotpath: none of the %d inputs could be loaded\n", len(inputs))
		return 1
	}
	if cfg.failOn != "" {
		gate, _ := detect.ParseSeverity(cfg.failOn)
		for _, f := range v.Findings {
			if f.Severity >= gate {
				fmt.Fprintf(stderr, "hotpath: failing (-fail-on %s): finding %d is %s: %s\n", cfg.failOn, f.Rank, f.Severity, termsafe.Line(f.Title))
				return 3
			}
		}
	}
	return 0
}

func runTUI(cmd string, cfg config, opt views.Options, inputs []*parse.Input, collector *views.Collector,
	load func(context.Context, *parse.Input) error, stderr io.Writer) int {
	km, err := loadKeys(cfg.keysFile)
	if err != nil {
		printErr(stderr, err)
		return 2
	}
	out := termenv.NewOutput(os.Stdout)
	r := lipgloss.NewRenderer(os.Stdout)
	r.SetColorProfile(theme.Profile(out))
	if err := theme.Background(r, cfg.theme); err != nil {
		printErr(stderr, err)
		return 2
	}
	title := ""
	if cmd == "demo" {
		title = "demo"
	}
	m := tui.New(tui.Config{Inputs: inputs, Load: load, Collector: collector, Options: opt, Renderer: r, Title: title,
		Keys: km, Copy: clipboard.OSC52(os.Stdout)})
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion())
	if _, err := p.Run(); err != nil {
		printErr(stderr, err)
		return 1
	}
	loaded, cancelled := printLoadFailures(inputs, stderr)
	if loaded == 0 && len(inputs) > 0 && allDone(inputs) && cancelled == 0 {
		return 1
	}
	return 0
}

// printLoadFailures prints, once the TUI is gone, each input that failed
// (failures stay visible after the alternate screen; loads the user
// cancelled by quitting are not failures) and how many were cancelled.
func printLoadFailures(inputs []*parse.Input, stderr io.Writer) (loaded, cancelled int) {
	for _, in := range inputs {
		if err := in.Src.Err(); err != nil && !errors.Is(err, context.Canceled) {
			printErr(stderr, err)
		} else if err != nil || !in.Src.Done() {
			cancelled++
		} else {
			loaded++
		}
	}
	if cancelled > 0 {
		fmt.Fprintf(stderr, "hotpath: loading cancelled (%d of %d inputs unfinished)\n", cancelled, len(inputs))
	}
	return loaded, cancelled
}

// loadKeys reads --keys FILE, or the config file when it exists.
func loadKeys(file string) (*keys.KeyMap, error) {
	if file != "" {
		return keys.LoadFile(file, false)
	}
	if p := keys.ConfigPath(); p != "" {
		return keys.LoadFile(p, true)
	}
	return keys.Default(), nil
}

func allDone(inputs []*parse.Input) bool {
	for _, in := range inputs {
		if !in.Src.Done() {
			return false
		}
	}
	return true
}

// printErr writes err as one "hotpath: …" line on stderr, sanitised: an
// error's text can carry bytes of an input (a file name from a directory,
// an excerpt of a broken record, an HTTP error body).
func printErr(stderr io.Writer, err error) {
	fmt.Fprintln(stderr, "hotpath:", termsafe.Line(err.Error()))
}
