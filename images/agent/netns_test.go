package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// These tests need silent drops and a private /etc/resolv.conf, so they run the agent inside
// namespaces created here with `unshare -n -m` (a private loopback only: no traffic can leave
// the machine). They skip, saying why, where namespaces or iptables are not available.

const droppedPort = 9 // iptables DROPs TCP and UDP to this port inside the namespace

const dropSetup = "ip link set lo up && " +
	"iptables -w -A INPUT -p tcp --dport 9 -j DROP && iptables -w -A INPUT -p udp --dport 9 -j DROP"

var (
	netnsOnce   sync.Once
	netnsReason string
)

func requireNetns(t *testing.T) {
	t.Helper()
	netnsOnce.Do(func() {
		if os.Geteuid() != 0 {
			netnsReason = "not root"
			return
		}
		if _, err := exec.LookPath("unshare"); err != nil {
			netnsReason = "no unshare binary"
			return
		}
		if out, err := exec.Command("unshare", "-n", "-m", "true").CombinedOutput(); err != nil {
			netnsReason = "unshare -n -m failed: " + strings.TrimSpace(string(out)) + " " + err.Error()
		}
	})
	if netnsReason != "" {
		t.Log("skipping: " + netnsReason)
		t.Skip(netnsReason)
	}
}

// runInNetns runs `sh -c setup` in fresh net+mount namespaces and then execs this test binary
// in the given role with args. It returns stdout and the wall time from the exec of the agent
// to its exit (namespace and iptables setup excluded: that is test overhead, and slow under load).
func runInNetns(t *testing.T, role, setup string, args ...string) (string, time.Duration) {
	t.Helper()
	requireNetns(t)
	script := "{ " + setup + "; } || exit 99\necho " + execMarker + "$(date +%s%N) >&2\nexec \"$@\""
	cmd := exec.Command("unshare", append([]string{"-n", "-m", "--", "sh", "-c", script, "sh", selfExe(t)}, args...)...)
	cmd.Env = append(os.Environ(), roleEnv+"="+role, raceEnv)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	end := time.Now()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 99 {
		reason := "namespace setup failed: " + strings.TrimSpace(errb.String())
		t.Log("skipping: " + reason)
		t.Skip(reason)
	}
	if err != nil {
		t.Fatalf("agent in namespace: %v\nstderr: %s", err, errb.String())
	}
	_, after, ok := strings.Cut(errb.String(), execMarker)
	ns, perr := strconv.ParseInt(strings.TrimSpace(strings.SplitN(after, "\n", 2)[0]), 10, 64)
	if !ok || perr != nil {
		t.Fatalf("no exec timestamp in stderr: %q", errb.String())
	}
	return out.String(), end.Sub(time.Unix(0, ns))
}

const execMarker = "nph-test-exec-at="

func TestTimeoutInNetns(t *testing.T) {
	const timeoutMs = 1500
	targets := []target{
		{ID: "tcp-dropped", Kind: "tcp", Host: "127.0.0.1", Port: droppedPort, TimeoutMs: timeoutMs},
		{ID: "udp-dropped", Kind: "udp", Host: "127.0.0.1", Port: droppedPort, TimeoutMs: timeoutMs},
		{ID: "tcp-short", Kind: "tcp", Host: "127.0.0.1", Port: droppedPort, TimeoutMs: 300},
		{ID: "tcp-closed", Kind: "tcp", Host: "127.0.0.1", Port: 10, TimeoutMs: timeoutMs},
		// This run uses TCP for kind sctp, to check the raw-socket connect path's deadline.
		{ID: "sctp-path-dropped", Kind: "sctp", Host: "127.0.0.1", Port: droppedPort, TimeoutMs: timeoutMs},
	}
	stdout, wall := runInNetns(t, "agent-rawtcp", dropSetup, "probe", "--targets", targetsJSON(t, targets))
	p := parseOutput(t, stdout)
	expectClass(t, p, "tcp-dropped", classTimeout, "1500ms")
	expectClass(t, p, "udp-dropped", classTimeout, "datagrams sent")
	expectClass(t, p, "tcp-short", classTimeout, "300ms")
	expectClass(t, p, "tcp-closed", classRefused, "ECONNREFUSED")
	expectClass(t, p, "sctp-path-dropped", classTimeout, "1500ms")
	for _, id := range []string{"tcp-dropped", "udp-dropped", "sctp-path-dropped"} {
		if l := p.results[id].LatencyMs; l < timeoutMs || l > timeoutMs+250 {
			t.Errorf("%s latency %.1fms, want about %dms", id, l, timeoutMs)
		}
	}
	if l := p.results["tcp-short"].LatencyMs; l < 300 || l > 550 {
		t.Errorf("per-target timeout not honoured: tcp-short took %.1fms", l)
	}
	t.Logf("agent elapsedMs %.1f, wall time from exec to exit %v", p.done.ElapsedMs, wall)
	if p.done.ElapsedMs > timeoutMs+1000 {
		t.Errorf("probe command took %.1fms, want <= %dms", p.done.ElapsedMs, timeoutMs+1000)
	}
	if wall > (timeoutMs+1000)*time.Millisecond {
		t.Errorf("whole probe command took %v, want <= %dms", wall, timeoutMs+1000)
	}
}

func TestConcurrencyInNetns(t *testing.T) {
	var targets []target
	for i := 0; i < 50; i++ {
		kind := "tcp"
		if i%2 == 1 {
			kind = "udp"
		}
		targets = append(targets, target{ID: kind + strconv.Itoa(i), Kind: kind, Host: "127.0.0.1", Port: droppedPort, TimeoutMs: 1000})
	}
	stdout, wall := runInNetns(t, "agent", dropSetup, "probe", "--targets", targetsJSON(t, targets))
	p := parseOutput(t, stdout)
	if len(p.results) != 50 {
		t.Fatalf("%d results, want 50", len(p.results))
	}
	for id, r := range p.results {
		if r.Class != classTimeout {
			t.Errorf("%s: %q, want timeout", id, r.Class)
		}
	}
	t.Logf("50 dropped probes: agent elapsedMs %.1f, wall %v", p.done.ElapsedMs, wall)
	if wall > 2500*time.Millisecond {
		t.Errorf("50 x 1000ms timeouts took %v, want < 2.5s (probes not concurrent?)", wall)
	}
}

// TestUnreachableInNetns checks the real kernel errnos of REJECT rules on the namespace's own
// loopback: ICMP host-prohibited / net-unreachable are errors (a broken route looks the same),
// while a port-unreachable or RST reject and a local firewall dropping the send are denies.
func TestUnreachableInNetns(t *testing.T) {
	setup := "ip link set lo up && " +
		"iptables -w -A INPUT -p tcp --dport 11 -j REJECT --reject-with icmp-host-prohibited && " +
		"iptables -w -A INPUT -p udp --dport 11 -j REJECT --reject-with icmp-admin-prohibited && " +
		"iptables -w -A INPUT -p tcp --dport 12 -j REJECT --reject-with icmp-net-unreachable && " +
		"iptables -w -A INPUT -p tcp --dport 13 -j REJECT --reject-with tcp-reset && " +
		"iptables -w -A INPUT -p udp --dport 13 -j REJECT --reject-with icmp-port-unreachable && " +
		"iptables -w -A OUTPUT -p udp --dport 14 -j DROP"
	targets := []target{
		{ID: "tcp-host-prohibited", Kind: "tcp", Host: "127.0.0.1", Port: 11, TimeoutMs: 2000},
		{ID: "udp-admin-prohibited", Kind: "udp", Host: "127.0.0.1", Port: 11, TimeoutMs: 2000},
		{ID: "tcp-net-unreachable", Kind: "tcp", Host: "127.0.0.1", Port: 12, TimeoutMs: 2000},
		{ID: "tcp-reset", Kind: "tcp", Host: "127.0.0.1", Port: 13, TimeoutMs: 2000},
		{ID: "udp-port-unreachable", Kind: "udp", Host: "127.0.0.1", Port: 13, TimeoutMs: 2000},
		{ID: "udp-local-drop", Kind: "udp", Host: "127.0.0.1", Port: 14, TimeoutMs: 2000},
		// This run uses TCP for kind sctp, to check the raw-socket connect path's errno.
		{ID: "sctp-path-host-prohibited", Kind: "sctp", Host: "127.0.0.1", Port: 11, TimeoutMs: 2000},
	}
	stdout, _ := runInNetns(t, "agent-rawtcp", setup, "probe", "--targets", targetsJSON(t, targets))
	p := parseOutput(t, stdout)
	const notADeny = "EHOSTUNREACH: no route to host (a broken route or an ICMP host/admin-prohibited reject; not counted as a deny)"
	expectClass(t, p, "tcp-host-prohibited", classError, notADeny)
	expectClass(t, p, "udp-admin-prohibited", classError, notADeny)
	expectClass(t, p, "sctp-path-host-prohibited", classError, notADeny)
	expectClass(t, p, "tcp-net-unreachable", classError, "ENETUNREACH")
	expectClass(t, p, "tcp-reset", classRefused, "ECONNREFUSED")
	expectClass(t, p, "udp-port-unreachable", classRefused, "ECONNREFUSED")
	expectClass(t, p, "udp-local-drop", classRefused, "EPERM")
	for id, r := range p.results {
		if r.LatencyMs > 1000 {
			t.Errorf("%s took %.1fms; a reject should be fast", id, r.LatencyMs)
		}
	}
}

// TestDNSInNetns checks resolution through /etc/resolv.conf (the path the harness uses) by
// bind-mounting a resolv.conf that points at a fake server on the namespace's own loopback.
// A DNS server that answers (even NXDOMAIN or SERVFAIL) is never a dns-failure; only a DNS
// port that gives no answer (dropped, or rejected) is.
func TestDNSInNetns(t *testing.T) {
	resolv := filepath.Join(t.TempDir(), "resolv.conf")
	if err := os.WriteFile(resolv, []byte("nameserver 127.0.0.1\noptions ndots:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	base := "ip link set lo up && mount --bind " + resolv + " /etc/resolv.conf"
	dnsRules := func(udp, tcp string) string {
		return " && iptables -w -A INPUT -p udp --dport 53 -j " + udp + " && iptables -w -A INPUT -p tcp --dport 53 -j " + tcp
	}

	t.Run("answering", func(t *testing.T) {
		targets := []target{
			{ID: "ok", Kind: "dns", Name: "ok.test", TimeoutMs: 2000},
			{ID: "nxdomain", Kind: "dns", Name: "missing.test", TimeoutMs: 2000},
			{ID: "servfail", Kind: "dns", Name: "servfail.test", TimeoutMs: 2000},
			{ID: "tcp-by-name", Kind: "tcp", Host: "ok.test", Port: 10, TimeoutMs: 2000},
			{ID: "tcp-bad-name", Kind: "tcp", Host: "missing.test", Port: 10, TimeoutMs: 2000},
			{ID: "udp-bad-name", Kind: "udp", Host: "missing.test", Port: 10, TimeoutMs: 2000},
			{ID: "sctp-bad-name", Kind: "sctp", Host: "missing.test", Port: 10, TimeoutMs: 2000},
			{ID: "tcp-servfail-name", Kind: "tcp", Host: "servfail.test", Port: 10, TimeoutMs: 2000},
		}
		stdout, _ := runInNetns(t, "nsdns", base, "probe", "--targets", targetsJSON(t, targets))
		p := parseOutput(t, stdout)
		expectClass(t, p, "ok", classConnected, "127.0.0.1")
		expectClass(t, p, "nxdomain", classError, "no such host: the DNS server answered that missing.test does not exist (check the name)")
		expectClass(t, p, "servfail", classError, "server misbehaving")
		expectClass(t, p, "tcp-by-name", classRefused, "ECONNREFUSED")
		for _, id := range []string{"tcp-bad-name", "udp-bad-name", "sctp-bad-name"} {
			expectClass(t, p, id, classError, "the DNS server answered that missing.test does not exist")
		}
		expectClass(t, p, "tcp-servfail-name", classError, "server misbehaving")
	})

	t.Run("port-dropped", func(t *testing.T) {
		// The fake server still listens on 127.0.0.1:53, but iptables drops every query to it.
		targets := []target{
			{ID: "dns", Kind: "dns", Name: "ok.test", TimeoutMs: 700},
			{ID: "dns-missing", Kind: "dns", Name: "missing.test", TimeoutMs: 700},
			{ID: "tcp-by-name", Kind: "tcp", Host: "ok.test", Port: 10, TimeoutMs: 700},
			{ID: "udp-by-name", Kind: "udp", Host: "ok.test", Port: 10, TimeoutMs: 700},
			{ID: "sctp-by-name", Kind: "sctp", Host: "ok.test", Port: 10, TimeoutMs: 700},
		}
		stdout, _ := runInNetns(t, "nsdns", base+dnsRules("DROP", "DROP"), "probe", "--targets", targetsJSON(t, targets))
		p := parseOutput(t, stdout)
		for _, tg := range targets {
			expectClass(t, p, tg.ID, classDNSFailure, "timeout")
			if r := p.results[tg.ID]; r.Detail != "timeout" {
				t.Errorf("%s: detail %q, want exactly \"timeout\"", tg.ID, r.Detail)
			}
			if l := p.results[tg.ID].LatencyMs; l < 700 || l > 950 {
				t.Errorf("%s: dropped DNS latency %.1fms, want about 700ms", tg.ID, l)
			}
		}
	})

	t.Run("port-rejected", func(t *testing.T) {
		targets := []target{
			{ID: "dns", Kind: "dns", Name: "ok.test", TimeoutMs: 2000},
			{ID: "tcp-by-name", Kind: "tcp", Host: "ok.test", Port: 10, TimeoutMs: 2000},
		}
		stdout, _ := runInNetns(t, "nsdns", base+dnsRules("REJECT", "REJECT --reject-with tcp-reset"), "probe", "--targets", targetsJSON(t, targets))
		p := parseOutput(t, stdout)
		expectClass(t, p, "dns", classDNSFailure, "ECONNREFUSED: connection refused (DNS server 127.0.0.1:53)")
		expectClass(t, p, "tcp-by-name", classDNSFailure, "ECONNREFUSED")
	})
}
