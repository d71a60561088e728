package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// target is one element of the --targets JSON array. Unknown fields are ignored so the
// TypeScript side can add fields without breaking older agents.
type target struct {
	ID        string `json:"id"`
	Kind      string `json:"kind"`
	Host      string `json:"host"`
	Port      int    `json:"port"`
	TimeoutMs int    `json:"timeoutMs"`
	Name      string `json:"name"`
	// Marker (udp only): send these bytes instead of the DNS query, so a witness in the
	// destination pod can recognise this probe's datagrams (see witness.go).
	Marker string `json:"marker"`
}

type probeResult struct {
	ID        string  `json:"id"`
	Class     string  `json:"class"`
	LatencyMs float64 `json:"latencyMs"`
	Detail    string  `json:"detail"`
}

type doneLine struct {
	Done      bool    `json:"done"`
	Count     int     `json:"count"`
	ElapsedMs float64 `json:"elapsedMs"`
}

// maxTimeoutMs bounds a single probe; anything larger is surely a caller bug.
const maxTimeoutMs = 10 * 60 * 1000

// hangGrace is how long after its deadline a probe may take to return before it is reported
// as an error anyway. Every probe honours its deadline; this is a backstop so the caller, who
// cannot kill us, always gets a result line and the done line on time. It is generous because a
// pod starved of CPU (a hundred agents probing at once on two cores) wakes late from its timers:
// at 250 ms one probe in thirty of a 20,000-cell round came back as this error.
const hangGrace = time.Second

// goResolver is the pure-Go resolver reading the pod's /etc/resolv.conf (the binary is built
// with CGO_ENABLED=0, PreferGo makes that explicit).
var goResolver = &net.Resolver{PreferGo: true}

func cmdProbe(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	targetsArg := fs.String("targets", "", "JSON array of targets, or - to read it from stdin")
	parallel := fs.Int("parallel", 64, "maximum number of probes in flight")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nph-agent probe: %v\n", err)
		return 2
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "nph-agent probe: unexpected argument %q\n", fs.Arg(0))
		return 2
	case *targetsArg == "":
		fmt.Fprintln(stderr, "nph-agent probe: --targets is required")
		return 2
	case *parallel < 1:
		fmt.Fprintln(stderr, "nph-agent probe: --parallel must be at least 1")
		return 2
	}
	raw := []byte(*targetsArg)
	if *targetsArg == "-" {
		var err error
		if raw, err = io.ReadAll(stdin); err != nil {
			fmt.Fprintf(stderr, "nph-agent probe: reading stdin: %v\n", err)
			return 2
		}
	}
	targets, err := parseTargets(raw)
	if err != nil {
		fmt.Fprintf(stderr, "nph-agent probe: invalid --targets: %v\n", err)
		return 2
	}
	runProbes(targets, *parallel, stdout)
	return 0
}

// parseTargets decodes and validates the whole array up front: bad input is rejected before
// any probe runs, so a caller bug never looks like a network result.
func parseTargets(raw []byte) ([]target, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return nil, errors.New("want a JSON array of targets")
	}
	var targets []target
	if err := json.Unmarshal(raw, &targets); err != nil {
		return nil, err
	}
	for i, t := range targets {
		if err := validate(t); err != nil {
			return nil, fmt.Errorf("target %d (id %q): %v", i, t.ID, err)
		}
	}
	return targets, nil
}

func validate(t target) error {
	if t.ID == "" {
		return errors.New("missing id")
	}
	switch t.Kind {
	case "tcp", "udp", "sctp":
		if t.Host == "" {
			return errors.New("missing host")
		}
		if t.Port < 1 || t.Port > 65535 {
			return errors.New("port must be 1..65535")
		}
	case "dns":
		if t.Name == "" {
			return errors.New("missing name")
		}
		if t.Port < 0 || t.Port > 65535 {
			return errors.New("port must be 1..65535")
		}
	case "":
		return errors.New("missing kind")
	default:
		return fmt.Errorf("unknown kind %q (want tcp, udp, sctp or dns)", t.Kind)
	}
	if t.TimeoutMs < 1 || t.TimeoutMs > maxTimeoutMs {
		return fmt.Errorf("timeoutMs must be 1..%d", maxTimeoutMs)
	}
	return nil
}

// runProbes runs every target concurrently (at most parallel at once), each with its own
// timeout starting when it starts, and prints one JSON line per result as it finishes, then
// the done line. With len(targets) <= parallel the whole run takes about max(timeoutMs).
func runProbes(targets []target, parallel int, out io.Writer) {
	emit := lineEmitter(out)
	probeAll(targets, parallel, 0, emit)
	emit(doneLine{Done: true, Count: len(targets), ElapsedMs: ms(time.Since(processStart))})
}

// lineEmitter writes one JSON value per line; safe for concurrent use.
func lineEmitter(out io.Writer) func(v any) {
	var mu sync.Mutex
	return func(v any) {
		b, _ := json.Marshal(v)
		mu.Lock()
		defer mu.Unlock()
		out.Write(append(b, '\n'))
	}
}

// probeAll runs every target (at most parallel at once) and emits each result as it finishes.
// With spread > 0 the starts are spread evenly over that time: a hundred pods opening hundreds
// of connections each in the same instant overflow the kernel's per-CPU backlog of packets
// (net.core.netdev_max_backlog), and a lost SYN looks exactly like a policy's drop.
func probeAll(targets []target, parallel int, spread time.Duration, emit func(v any)) {
	start := time.Now()
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		go func(i int, t target) {
			defer wg.Done()
			if spread > 0 {
				time.Sleep(time.Until(start.Add(spread * time.Duration(i) / time.Duration(len(targets)))))
			}
			sem <- struct{}{}
			r := runOne(t)
			<-sem
			emit(r)
		}(i, t)
	}
	wg.Wait()
}

// runOne runs one probe under its own deadline, with the hangGrace backstop.
func runOne(t target) probeResult {
	timeout := time.Duration(t.TimeoutMs) * time.Millisecond
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	type outcome struct {
		class, detail string
		latency       time.Duration
	}
	done := make(chan outcome, 1) // buffered: a late probe must not block forever
	go func() {
		// A panic would kill the process and lose every other result: report it for this
		// target only.
		defer func() {
			if p := recover(); p != nil {
				done <- outcome{classError, fmt.Sprintf("agent panic: %v", p), time.Since(start)}
			}
		}()
		c, d := probeOne(ctx, t)
		done <- outcome{c, d, time.Since(start)}
	}()
	backstop := time.NewTimer(timeout + hangGrace)
	defer backstop.Stop()
	var o outcome
	select {
	case o = <-done:
	case <-backstop.C:
		o = outcome{classError, "probe did not return within its timeout + 1s (the agent was starved of CPU, or a bug)", time.Since(start)}
	}
	return probeResult{ID: t.ID, Class: o.class, LatencyMs: ms(o.latency), Detail: o.detail}
}

func probeOne(ctx context.Context, t target) (class, detail string) {
	switch t.Kind {
	case "tcp":
		return probeTCP(ctx, t)
	case "udp":
		return probeUDP(ctx, t)
	case "sctp":
		return probeSCTP(ctx, t)
	case "dns":
		return probeDNS(ctx, t)
	}
	return classError, "unknown kind " + t.Kind // unreachable: validated
}

var dialer = &net.Dialer{Resolver: goResolver}

func probeTCP(ctx context.Context, t target) (string, string) {
	c, err := dialer.DialContext(ctx, "tcp", net.JoinHostPort(t.Host, strconv.Itoa(t.Port)))
	if err != nil {
		return classifyErr(err, t)
	}
	detail := c.RemoteAddr().String()
	// Close with a reset, not a FIN exchange: the verdict is the handshake, and four packets less
	// per connection through the CNI's chains is what lets a hundred pods probe on two cores.
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
	return classConnected, detail
}

// udpResend is how often the UDP probe repeats its datagram while waiting, so one lost packet
// (or a first packet racing policy/conntrack setup) does not turn into a false timeout.
const udpResend = 500 * time.Millisecond

// probeUDP needs a reply to call it connected: a dropped reply is as much a deny as a dropped
// request. A connected socket lets the kernel report ICMP port unreachable as ECONNREFUSED.
func probeUDP(ctx context.Context, t target) (string, string) {
	c, err := dialer.DialContext(ctx, "udp", net.JoinHostPort(t.Host, strconv.Itoa(t.Port)))
	if err != nil {
		return classifyErr(err, t)
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	query := newDNSQuery()
	if t.Marker != "" {
		query = []byte(t.Marker)
	}
	buf := make([]byte, 2048)
	for sent := 1; ; sent++ {
		if _, err := c.Write(query); err != nil {
			return classifyErr(err, t)
		}
		c.SetReadDeadline(minTime(time.Now().Add(udpResend), deadline))
		n, err := c.Read(buf)
		if err == nil {
			return classConnected, fmt.Sprintf("%d-byte reply from %s", n, c.RemoteAddr())
		}
		if !isTimeout(err) {
			return classifyErr(err, t)
		}
		if !time.Now().Before(deadline) {
			return classTimeout, fmt.Sprintf("no reply within %dms (%d datagrams sent)", t.TimeoutMs, sent)
		}
	}
}

// probeDNS resolves t.Name like the pod's applications would (resolv.conf search list,
// nameservers, ndots). If t.Host is set the query goes to that server instead (port t.Port,
// default 53); the harness does not need this, but it is handy for debugging and tests.
func probeDNS(ctx context.Context, t target) (string, string) {
	r := goResolver
	if t.Host != "" {
		port := t.Port
		if port == 0 {
			port = 53
		}
		server := net.JoinHostPort(t.Host, strconv.Itoa(port))
		r = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, server)
		}}
	}
	addrs, err := r.LookupHost(ctx, t.Name)
	if err != nil {
		// Only a lookup that got no answer is a dns-failure; an answer such as NXDOMAIN or
		// SERVFAIL is an error (the DNS path works). See classifyDNSErr.
		return classifyLookupErr(err, t)
	}
	return classConnected, strings.Join(addrs, ",")
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// ms converts to milliseconds with microsecond precision.
func ms(d time.Duration) float64 {
	return math.Round(float64(d.Microseconds())) / 1000
}
