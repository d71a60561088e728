package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// The test binary doubles as the agent: with roleEnv set, TestMain runs main() (or a helper)
// instead of the tests. That avoids a separate `go build` and keeps `go test` fast.
const roleEnv = "NPH_AGENT_TEST_ROLE"

// raceEnv stops a -race build from sleeping 1s at exit, which would break the timing checks.
const raceEnv = "GORACE=atexit_sleep_ms=0"

func TestMain(m *testing.M) {
	switch os.Getenv(roleEnv) {
	case "agent":
		main()
	case "agent-rawtcp":
		sctpProtocol = syscall.IPPROTO_TCP // exercise the raw SCTP code path over TCP
		main()
	case "nsdns":
		// Inside a private net+mount namespace whose /etc/resolv.conf points at 127.0.0.1:
		// answer DNS there ourselves, then run the agent in-process.
		pc, err := net.ListenPacket("udp", "127.0.0.1:53")
		if err != nil {
			os.Stderr.WriteString("nsdns: " + err.Error() + "\n")
			os.Exit(3)
		}
		go serveFakeDNS(pc)
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func selfExe(t *testing.T) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// agentCmd runs the agent (this test binary in the "agent" role) as a subprocess.
func agentCmd(t *testing.T, args ...string) *exec.Cmd {
	cmd := exec.Command(selfExe(t), args...)
	cmd.Env = append(os.Environ(), roleEnv+"=agent", raceEnv)
	return cmd
}

// parsed is probe output checked against the JSON-lines contract.
type parsed struct {
	results map[string]probeResult
	done    doneLine
}

// parseOutput enforces the contract: every line is a JSON object; result lines carry exactly
// id, class, latencyMs and detail, one per id; the last line is the done line with the count.
func parseOutput(t *testing.T, stdout string) parsed {
	t.Helper()
	p := parsed{results: map[string]probeResult{}}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	for i, line := range lines {
		var raw map[string]any
		if err := json.Unmarshal([]byte(line), &raw); err != nil {
			t.Fatalf("line %d is not a JSON object: %q", i, line)
		}
		if i == len(lines)-1 {
			if err := json.Unmarshal([]byte(line), &p.done); err != nil || !p.done.Done {
				t.Fatalf("last line is not the done line: %q", line)
			}
			continue
		}
		for _, k := range []string{"id", "class", "latencyMs", "detail"} {
			if _, ok := raw[k]; !ok {
				t.Errorf("line %q lacks %q", line, k)
			}
		}
		var r probeResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad result line %q: %v", line, err)
		}
		if _, dup := p.results[r.ID]; dup {
			t.Errorf("duplicate result for id %q", r.ID)
		}
		if r.LatencyMs < 0 {
			t.Errorf("negative latency in %q", line)
		}
		p.results[r.ID] = r
	}
	if p.done.Count != len(p.results) {
		t.Errorf("done count %d, but %d result lines", p.done.Count, len(p.results))
	}
	return p
}

func targetsJSON(t *testing.T, targets []target) string {
	t.Helper()
	b, err := json.Marshal(targets)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// probeInProcess runs `probe` through run() and returns the checked output.
func probeInProcess(t *testing.T, targets []target) parsed {
	t.Helper()
	var out, errb bytes.Buffer
	if code := run([]string{"probe", "--targets", targetsJSON(t, targets)}, nil, &out, &errb); code != 0 {
		t.Fatalf("probe exit %d: %s", code, errb.String())
	}
	return parseOutput(t, out.String())
}

func expectClass(t *testing.T, p parsed, id, class, detailContains string) {
	t.Helper()
	r, ok := p.results[id]
	switch {
	case !ok:
		t.Errorf("%s: no result", id)
	case r.Class != class:
		t.Errorf("%s: class %q (detail %q), want %q", id, r.Class, r.Detail, class)
	case !strings.Contains(r.Detail, detailContains):
		t.Errorf("%s: detail %q does not contain %q", id, r.Detail, detailContains)
	}
}

// closedPort returns a loopback port that nothing listens on (bound then released).
func closedPort(t *testing.T, network string) int {
	t.Helper()
	if network == "tcp" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().(*net.TCPAddr).Port
	}
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	return pc.LocalAddr().(*net.UDPAddr).Port
}

// serveFakeDNS is a tiny authoritative-looking server for tests: "ok.test" has A 127.0.0.1
// (and no AAAA), names starting with "servfail." get SERVFAIL, everything else is NXDOMAIN.
// (A DNS server blocked by policy is simulated with iptables in netns_test.go.)
func serveFakeDNS(pc net.PacketConn) {
	buf := make([]byte, 1500)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp := fakeDNSAnswer(buf[:n]); resp != nil {
			pc.WriteTo(resp, addr)
		}
	}
}

func fakeDNSAnswer(q []byte) []byte {
	if len(q) < 12 {
		return nil
	}
	var labels []string
	i := 12
	for i < len(q) && q[i] != 0 {
		l := int(q[i])
		if i+1+l > len(q) {
			return nil
		}
		labels = append(labels, strings.ToLower(string(q[i+1:i+1+l])))
		i += 1 + l
	}
	if i+5 > len(q) {
		return nil
	}
	qtype := binary.BigEndian.Uint16(q[i+1:])
	question := q[12 : i+5]
	name := strings.Join(labels, ".")
	var rcode, ancount uint16 = 3, 0 // NXDOMAIN
	var answer []byte
	switch {
	case strings.HasPrefix(name, "servfail."):
		rcode = 2 // SERVFAIL
	case name == "ok.test":
		rcode = 0
		if qtype == 1 { // A
			ancount = 1
			answer = []byte{0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1}
		}
	}
	resp := make([]byte, 12, 12+len(question)+len(answer))
	copy(resp, q[:2])
	binary.BigEndian.PutUint16(resp[2:], 0x8180|rcode) // QR, RD, RA
	binary.BigEndian.PutUint16(resp[4:], 1)
	binary.BigEndian.PutUint16(resp[6:], ancount)
	resp = append(resp, question...)
	return append(resp, answer...)
}
