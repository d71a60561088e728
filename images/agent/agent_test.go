package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestDNSQueryShape(t *testing.T) {
	q := newDNSQuery()
	if !looksLikeDNSQuery(q) {
		t.Fatalf("our own query does not look like a DNS query: %x", q)
	}
	if looksLikeDNSQuery([]byte("some-pod-hostname\n")) {
		t.Error("a hostname reply looks like a DNS query")
	}
	resp := fakeDNSAnswer(q)
	if looksLikeDNSQuery(resp) {
		t.Error("a DNS response (QR=1) looks like a query")
	}
}

func TestClassifyErr(t *testing.T) {
	tg := target{Kind: "tcp", Host: "x", TimeoutMs: 1500}
	opErr := func(e error) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", e)}
	}
	udpWrite := func(e error) error {
		return &net.OpError{Op: "write", Net: "udp", Err: os.NewSyscallError("write", e)}
	}
	// dnsSock is how the pure-Go resolver reports a socket error talking to the DNS server:
	// the text only (the errno itself is not wrapped).
	dnsSock := func(e syscall.Errno) error {
		return &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{
			Err: "read udp 127.0.0.1:40000->127.0.0.1:53: read: " + e.Error(), Name: "x", Server: "127.0.0.1:53", IsTemporary: true}}
	}
	const notADeny = "EHOSTUNREACH: no route to host (a broken route or an ICMP host/admin-prohibited reject; not counted as a deny)"
	cases := []struct {
		err           error
		class, detail string
	}{
		// Rejects that are a deny.
		{opErr(syscall.ECONNREFUSED), classRefused, "ECONNREFUSED: connection refused"},
		{udpWrite(syscall.ECONNREFUSED), classRefused, "ECONNREFUSED"},
		{opErr(syscall.ENOPROTOOPT), classRefused, "ENOPROTOOPT"},
		{opErr(syscall.EPERM), classRefused, "EPERM"},
		{opErr(syscall.EACCES), classRefused, "EACCES"},
		{udpWrite(syscall.EPERM), classRefused, "EPERM"},
		// Unreachable: a broken route looks the same, so never a deny.
		{opErr(syscall.EHOSTUNREACH), classError, notADeny},
		{udpWrite(syscall.EHOSTUNREACH), classError, notADeny},
		{opErr(syscall.ENETUNREACH), classError, "ENETUNREACH: network is unreachable ("},
		{opErr(syscall.ENETUNREACH), classError, "not counted as a deny)"},
		{opErr(syscall.ETIMEDOUT), classTimeout, "ETIMEDOUT"},
		{opErr(syscall.EPROTONOSUPPORT), classUnsupported, "protocol not supported"},
		{&net.OpError{Op: "dial", Err: os.ErrDeadlineExceeded}, classTimeout, "1500ms"},
		// Resolving host: an answer from the DNS server is an error, no answer a dns-failure.
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "x", IsNotFound: true}}, classError,
			"no such host: the DNS server answered that x does not exist (check the name)"},
		{&net.DNSError{Err: "no such host", IsNotFound: true}, classError, "that x does not exist"}, // name from the target
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "server misbehaving", Name: "x", Server: "10.96.0.10:53", IsTemporary: true}}, classError,
			"lookup x on 10.96.0.10:53: server misbehaving"},
		{&net.DNSError{Err: "lame referral", Name: "x", IsTemporary: true}, classError, "lame referral"},
		{&net.DNSError{Err: "cannot unmarshal DNS message", Name: "x"}, classError, "cannot unmarshal"},
		{&net.OpError{Op: "dial", Err: &net.DNSError{Err: "i/o timeout", Name: "x", IsTimeout: true}}, classDNSFailure, "timeout"},
		{dnsSock(syscall.ECONNREFUSED), classDNSFailure, "ECONNREFUSED: connection refused (DNS server 127.0.0.1:53)"},
		{dnsSock(syscall.EHOSTUNREACH), classError, "no route to host"}, // a broken route to the DNS server is not a deny
		{dnsSock(syscall.ENETUNREACH), classError, "network is unreachable"},
		{dnsSock(syscall.EPERM), classDNSFailure, "EPERM"},
		{dnsSock(syscall.EACCES), classDNSFailure, "EACCES"},
		{dnsSock(syscall.EMSGSIZE), classError, "message too long"},
		{errors.New("something odd"), classError, "something odd"},
	}
	for _, c := range cases {
		class, detail := classifyErr(c.err, tg)
		if class != c.class || !strings.Contains(detail, c.detail) {
			t.Errorf("classifyErr(%v) = %q, %q; want %q, *%s*", c.err, class, detail, c.class, c.detail)
		}
	}
	if _, detail := classifyErr(opErr(syscall.EHOSTUNREACH), tg); detail != notADeny {
		t.Errorf("EHOSTUNREACH detail %q, want exactly %q", detail, notADeny)
	}
}

// TestClassifyLookupErr covers kind dns, whose lookup errors never become refused or timeout.
func TestClassifyLookupErr(t *testing.T) {
	tg := target{Kind: "dns", Name: "svc.example", TimeoutMs: 700}
	cases := []struct {
		err           error
		class, detail string
	}{
		{&net.DNSError{Err: "no such host", Name: "svc.example", IsNotFound: true}, classError,
			"no such host: the DNS server answered that svc.example does not exist (check the name)"},
		{&net.DNSError{Err: "server misbehaving", Name: "svc.example", IsTemporary: true}, classError, "server misbehaving"},
		{&net.DNSError{Err: "i/o timeout", Name: "svc.example", IsTimeout: true}, classDNSFailure, "timeout"},
		{&net.DNSError{Err: "dial udp 10.96.0.10:53: connect: network is unreachable", Name: "svc.example"}, classError, "network is unreachable"},
		{context.DeadlineExceeded, classDNSFailure, "timeout"},
		{errors.New("something odd"), classError, "something odd"},
	}
	for _, c := range cases {
		class, detail := classifyLookupErr(c.err, tg)
		if class != c.class || !strings.Contains(detail, c.detail) {
			t.Errorf("classifyLookupErr(%v) = %q, %q; want %q, *%s*", c.err, class, detail, c.class, c.detail)
		}
	}
}

func TestParseServeEnv(t *testing.T) {
	s, err := parseServeEnv("tcp:80, tcp:8080,udp:53,sctp:9000")
	if err != nil || s.String() != "tcp:80,8080 udp:53 sctp:9000" {
		t.Fatalf("got %q, %v", s, err)
	}
	for _, bad := range []string{"tcp", "tcp:0", "tcp:x", "icmp:1"} {
		if _, err := parseServeEnv(bad); err == nil {
			t.Errorf("NPH_SERVE=%q accepted", bad)
		}
	}
}

// TestProbeLoopback covers every class reachable on loopback, in-process.
func TestProbeLoopback(t *testing.T) {
	reply := []byte("test-host\n")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go serveTCP(ln, reply)
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	go serveUDP(pc, reply)
	dns, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dns.Close()
	go serveFakeDNS(dns)
	dnsPort := dns.LocalAddr().(*net.UDPAddr).Port

	lo := "127.0.0.1"
	targets := []target{
		{ID: "tcp-open", Kind: "tcp", Host: lo, Port: ln.Addr().(*net.TCPAddr).Port, TimeoutMs: 2000},
		{ID: "tcp-closed", Kind: "tcp", Host: lo, Port: closedPort(t, "tcp"), TimeoutMs: 2000},
		{ID: "udp-open", Kind: "udp", Host: lo, Port: pc.LocalAddr().(*net.UDPAddr).Port, TimeoutMs: 2000},
		{ID: "udp-closed", Kind: "udp", Host: lo, Port: closedPort(t, "udp"), TimeoutMs: 2000},
		// kind dns with host set queries that server only, so no real DNS server is involved.
		{ID: "dns-ok", Kind: "dns", Name: "ok.test", Host: lo, Port: dnsPort, TimeoutMs: 2000},
		{ID: "dns-nxdomain", Kind: "dns", Name: "missing.test", Host: lo, Port: dnsPort, TimeoutMs: 2000},
		{ID: "dns-servfail", Kind: "dns", Name: "servfail.test", Host: lo, Port: dnsPort, TimeoutMs: 2000},
		{ID: "dns-closed", Kind: "dns", Name: "ok.test", Host: lo, Port: closedPort(t, "udp"), TimeoutMs: 2000},
		{ID: "sctp", Kind: "sctp", Host: lo, Port: closedPort(t, "tcp"), TimeoutMs: 2000},
	}
	start := time.Now()
	p := probeInProcess(t, targets)
	if d := time.Since(start); d > 1500*time.Millisecond {
		t.Errorf("loopback probes took %v; nothing here should wait for a timeout", d)
	}
	expectClass(t, p, "tcp-open", classConnected, "127.0.0.1:")
	expectClass(t, p, "tcp-closed", classRefused, "ECONNREFUSED")
	expectClass(t, p, "udp-open", classConnected, "reply")
	expectClass(t, p, "udp-closed", classRefused, "ECONNREFUSED")
	expectClass(t, p, "dns-ok", classConnected, "127.0.0.1")
	// NXDOMAIN and SERVFAIL are answers from a reachable DNS server: error, not a deny.
	expectClass(t, p, "dns-nxdomain", classError, "no such host: the DNS server answered that missing.test does not exist")
	expectClass(t, p, "dns-servfail", classError, "server misbehaving")
	// Nothing listens on the DNS port: the query got no answer (ICMP port unreachable).
	expectClass(t, p, "dns-closed", classDNSFailure, "ECONNREFUSED: connection refused")
	if fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, ipprotoSCTP); err == nil {
		syscall.Close(fd)
		t.Logf("kernel supports SCTP; sctp result was %+v (unsupported not asserted)", p.results["sctp"])
	} else {
		expectClass(t, p, "sctp", classUnsupported, "SCTP")
	}
	if p.done.Count != len(targets) {
		t.Errorf("done count %d, want %d", p.done.Count, len(targets))
	}
}

func TestVersion(t *testing.T) {
	out, err := agentCmd(t, "version").Output()
	if err != nil || string(out) != "nph-agent "+version+"\n" {
		t.Fatalf("version: %q, %v", out, err)
	}
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestBadInput: usage errors exit 2 with exactly one line on stderr and nothing on stdout.
func TestBadInput(t *testing.T) {
	ok := `{"id":"a","kind":"tcp","host":"127.0.0.1","port":1,"timeoutMs":100}`
	cases := map[string][]string{
		"invalid json":     {"probe", "--targets", "[{"},
		"not an array":     {"probe", "--targets", ok},
		"null":             {"probe", "--targets", "null"},
		"missing id":       {"probe", "--targets", `[{"kind":"tcp","host":"127.0.0.1","port":1,"timeoutMs":100}]`},
		"unknown kind":     {"probe", "--targets", `[{"id":"a","kind":"icmp","host":"127.0.0.1","port":1,"timeoutMs":100}]`},
		"missing host":     {"probe", "--targets", `[{"id":"a","kind":"udp","port":1,"timeoutMs":100}]`},
		"missing port":     {"probe", "--targets", `[{"id":"a","kind":"tcp","host":"127.0.0.1","timeoutMs":100}]`},
		"missing timeout":  {"probe", "--targets", `[{"id":"a","kind":"tcp","host":"127.0.0.1","port":1}]`},
		"dns without name": {"probe", "--targets", `[{"id":"a","kind":"dns","timeoutMs":100}]`},
		"one bad of two":   {"probe", "--targets", "[" + ok + `,{"id":"b","kind":"tcp"}]`},
		"string port":      {"probe", "--targets", `[{"id":"a","kind":"tcp","host":"127.0.0.1","port":"1","timeoutMs":100}]`},
		"no targets":       {"probe"},
		"parallel 0":       {"probe", "--parallel", "0", "--targets", "[" + ok + "]"},
		"unknown flag":     {"probe", "--bogus", "--targets", "[]"},
		"no subcommand":    {},
		"unknown command":  {"frobnicate"},
		"bad serve port":   {"serve", "--tcp", "80,http"},
		"bad NPH_SERVE":    nil, // filled below via env
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			cmd := agentCmd(t, args...)
			if args == nil {
				cmd = agentCmd(t, "serve")
				cmd.Env = append(cmd.Env, "NPH_SERVE=tcp:80,icmp:1")
			}
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			err := cmd.Run()
			if code := exitCode(err); code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, errb.String())
			}
			if out.Len() != 0 {
				t.Errorf("stdout not empty: %q", out.String())
			}
			if s := errb.String(); s == "" || strings.Count(s, "\n") != 1 || !strings.HasSuffix(s, "\n") {
				if name != "no subcommand" { // bare `nph-agent` prints the multi-line usage
					t.Errorf("stderr is not one line: %q", s)
				}
			}
		})
	}
}

func TestEmptyAndStdinTargets(t *testing.T) {
	out, err := agentCmd(t, "probe", "--targets", "[]").Output()
	if err != nil {
		t.Fatal(err)
	}
	if p := parseOutput(t, string(out)); p.done.Count != 0 {
		t.Errorf("empty array: %+v", p.done)
	}
	cmd := agentCmd(t, "probe", "--targets", "-", "--parallel", "1")
	cmd.Stdin = strings.NewReader(targetsJSON(t, []target{
		{ID: "a", Kind: "tcp", Host: "127.0.0.1", Port: closedPort(t, "tcp"), TimeoutMs: 1000},
		{ID: "b", Kind: "udp", Host: "127.0.0.1", Port: closedPort(t, "udp"), TimeoutMs: 1000, Name: "ignored"},
	}))
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("exit %v", err)
	}
	p := parseOutput(t, string(out))
	expectClass(t, p, "a", classRefused, "ECONNREFUSED")
	expectClass(t, p, "b", classRefused, "ECONNREFUSED")
}

// TestStdoutClosedEarly: a reader that goes away must not hang or crash the agent.
func TestStdoutClosedEarly(t *testing.T) {
	var targets []target
	for i := 0; i < 20; i++ {
		targets = append(targets, target{ID: strconv.Itoa(i), Kind: "tcp", Host: "127.0.0.1", Port: closedPort(t, "tcp"), TimeoutMs: 1000})
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	r.Close() // closed before the agent writes anything
	cmd := agentCmd(t, "probe", "--targets", targetsJSON(t, targets))
	cmd.Stdout = w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if code := exitCode(err); code != 0 {
			t.Errorf("exit %v (%d), want a clean exit 0", err, code)
		}
	case <-time.After(5 * time.Second):
		cmd.Process.Kill()
		t.Fatal("agent hung with a closed stdout")
	}
}

// startServe runs `serve` and waits for its startup line; it returns the stderr lines so far.
func startServe(t *testing.T, env []string, args ...string) (*exec.Cmd, []string) {
	t.Helper()
	cmd := agentCmd(t, append([]string{"serve"}, args...)...)
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var got []string
	deadline := time.After(5 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("serve exited before starting: %q", got)
			}
			got = append(got, l)
			if strings.HasPrefix(l, "nph-agent "+version+": hostname ") {
				go io.Copy(io.Discard, stderr)
				return cmd, got
			}
		case <-deadline:
			t.Fatalf("no startup line: %q", got)
		}
	}
}

// stopServe sends SIGTERM and expects a quick exit 0.
func stopServe(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("SIGTERM exit took %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("serve did not exit on SIGTERM")
	}
}

func TestServe(t *testing.T) {
	hostname, _ := os.Hostname()
	tcp1, tcp2, udp, sctp := closedPort(t, "tcp"), closedPort(t, "tcp"), closedPort(t, "udp"), closedPort(t, "tcp")
	cmd, logs := startServe(t, nil, "--tcp", strconv.Itoa(tcp1)+","+strconv.Itoa(tcp2), "--udp", strconv.Itoa(udp), "--sctp", strconv.Itoa(sctp))
	t.Logf("serve stderr: %q", logs)

	for _, port := range []int{tcp1, tcp2} {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(2 * time.Second))
		got, _ := io.ReadAll(c)
		c.Close()
		if string(got) != hostname+"\n" {
			t.Errorf("tcp %d replied %q, want %q", port, got, hostname+"\n")
		}
	}

	uc, err := net.Dial("udp", "127.0.0.1:"+strconv.Itoa(udp))
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	exchange := func(msg []byte) []byte {
		uc.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := uc.Write(msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 2048)
		n, err := uc.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		return buf[:n]
	}
	if got := exchange([]byte("hello")); string(got) != hostname+"\n" {
		t.Errorf("udp non-DNS reply %q, want hostname", got)
	}
	q := newDNSQuery()
	if got := exchange(q); !bytes.Equal(got, q) {
		t.Errorf("udp DNS query not echoed: %x vs %x", got, q)
	}

	p := probeInProcess(t, []target{
		{ID: "t", Kind: "tcp", Host: "127.0.0.1", Port: tcp2, TimeoutMs: 2000},
		{ID: "u", Kind: "udp", Host: "127.0.0.1", Port: udp, TimeoutMs: 2000},
	})
	expectClass(t, p, "t", classConnected, "")
	expectClass(t, p, "u", classConnected, "17-byte reply")

	if _, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, ipprotoSCTP); isNoSCTP(err) {
		if !strings.Contains(strings.Join(logs, "\n"), "no SCTP support") {
			t.Errorf("no SCTP log line in %q", logs)
		}
	}
	stopServe(t, cmd)
}

func TestServeEnvAndProbeOnly(t *testing.T) {
	envTCP, envUDP := closedPort(t, "tcp"), closedPort(t, "udp")
	env := []string{"NPH_SERVE=tcp:" + strconv.Itoa(envTCP) + ",udp:" + strconv.Itoa(envUDP)}
	cmd, _ := startServe(t, env)
	p := probeInProcess(t, []target{
		{ID: "t", Kind: "tcp", Host: "127.0.0.1", Port: envTCP, TimeoutMs: 2000},
		{ID: "u", Kind: "udp", Host: "127.0.0.1", Port: envUDP, TimeoutMs: 2000},
	})
	expectClass(t, p, "t", classConnected, "")
	expectClass(t, p, "u", classConnected, "")
	stopServe(t, cmd)

	// Flags win: with --tcp given, NPH_SERVE is ignored entirely.
	flagTCP := closedPort(t, "tcp")
	cmd, _ = startServe(t, env, "--tcp", strconv.Itoa(flagTCP))
	p = probeInProcess(t, []target{
		{ID: "flag", Kind: "tcp", Host: "127.0.0.1", Port: flagTCP, TimeoutMs: 2000},
		{ID: "env", Kind: "tcp", Host: "127.0.0.1", Port: envTCP, TimeoutMs: 2000},
	})
	expectClass(t, p, "flag", classConnected, "")
	expectClass(t, p, "env", classRefused, "")
	stopServe(t, cmd)

	cmd, logs := startServe(t, nil)
	if !strings.Contains(logs[len(logs)-1], "probe-only") {
		t.Errorf("probe-only startup line: %q", logs)
	}
	stopServe(t, cmd)
}

// TestSCTPCodePathOverTCP runs the raw-socket SCTP server and client code with TCP instead,
// since the kernel here has no SCTP; only the protocol number differs in production.
func TestSCTPCodePathOverTCP(t *testing.T) {
	sctpProtocol = syscall.IPPROTO_TCP
	defer func() { sctpProtocol = ipprotoSCTP }()
	port := closedPort(t, "tcp")
	fd, err := listenSCTP(port)
	if err != nil {
		t.Fatal(err)
	}
	// shutdown (not close) wakes the blocked accept and cannot let the loop accept on a
	// reused fd number; the fd itself is left to process exit.
	defer syscall.Shutdown(fd, syscall.SHUT_RDWR)
	go serveSCTP(fd, []byte("raw-host\n"))

	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(2 * time.Second))
	if got, _ := io.ReadAll(c); string(got) != "raw-host\n" {
		t.Errorf("raw server replied %q", got)
	}
	c.Close()

	p := probeInProcess(t, []target{
		{ID: "open", Kind: "sctp", Host: "127.0.0.1", Port: port, TimeoutMs: 2000},
		{ID: "closed", Kind: "sctp", Host: "127.0.0.1", Port: closedPort(t, "tcp"), TimeoutMs: 2000},
		{ID: "v6", Kind: "sctp", Host: "::1", Port: closedPort(t, "tcp"), TimeoutMs: 2000},
	})
	expectClass(t, p, "open", classConnected, "127.0.0.1:")
	expectClass(t, p, "closed", classRefused, "ECONNREFUSED")
	if r := p.results["v6"]; r.Class != classRefused {
		t.Logf("::1 probe: %+v (IPv6 loopback may be unavailable)", r)
	}
}
