package main

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func udpSeg(dport int, payload string) []byte {
	b := make([]byte, 8+len(payload))
	binary.BigEndian.PutUint16(b[0:2], 40000)
	binary.BigEndian.PutUint16(b[2:4], uint16(dport))
	copy(b[8:], payload)
	return b
}

func tcpSeg(dport int, flags byte) []byte {
	b := make([]byte, 20)
	binary.BigEndian.PutUint16(b[0:2], 40000)
	binary.BigEndian.PutUint16(b[2:4], uint16(dport))
	b[12] = 5 << 4
	b[13] = flags
	return b
}

func TestParseExpectations(t *testing.T) {
	good := `[{"id":"a","proto":"udp","port":53,"marker":"m1"},{"id":"b","proto":"tcp","port":80,"src":"10.0.0.1"}]`
	if e, err := parseExpectations([]byte(good)); err != nil || len(e) != 2 {
		t.Fatalf("good input: %v %v", e, err)
	}
	for in, want := range map[string]string{
		`{}`: "JSON array",
		`[{"proto":"udp","port":1,"marker":"m"}]`:             "missing id",
		`[{"id":"a","proto":"udp","port":0,"marker":"m"}]`:    "port must be",
		`[{"id":"a","proto":"udp","port":9}]`:                 "needs a marker",
		`[{"id":"a","proto":"tcp","port":9,"src":"fe80::1"}]`: "IPv4",
		`[{"id":"a","proto":"sctp","port":9}]`:                "unknown proto",
	} {
		if _, err := parseExpectations([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", in, err, want)
		}
	}
}

func TestMatchUDPAndTCP(t *testing.T) {
	exps := []expectation{
		{ID: "u", Proto: "udp", Port: 8125, Marker: "nphw-1"},
		{ID: "u2", Proto: "udp", Port: 8125, Marker: "nphw-2"},
		{ID: "t", Proto: "tcp", Port: 81, Src: "10.244.1.5"},
	}
	if got := matchUDP(udpSeg(8125, "xx nphw-1 yy"), exps); len(got) != 1 || got[0] != 0 {
		t.Errorf("marker on the right port: %v", got)
	}
	if got := matchUDP(udpSeg(8126, "nphw-1"), exps); len(got) != 0 {
		t.Errorf("wrong port matched: %v", got)
	}
	if got := matchUDP(udpSeg(8125, "other"), exps); len(got) != 0 {
		t.Errorf("no marker matched: %v", got)
	}
	if got := matchUDP([]byte{1, 2, 3}, exps); got != nil {
		t.Errorf("short segment matched: %v", got)
	}
	src := net.ParseIP("10.244.1.5")
	if got := matchTCP(tcpSeg(81, 0x02), src, exps); len(got) != 1 || got[0] != 2 {
		t.Errorf("SYN from the source: %v", got)
	}
	// The SYN-ACK or RST a server sends back, and the source's ACKs, are not the probe arriving.
	for _, f := range []byte{0x12, 0x10, 0x04, 0x14} {
		if got := matchTCP(tcpSeg(81, f), src, exps); len(got) != 0 {
			t.Errorf("flags %#x matched: %v", f, got)
		}
	}
	if got := matchTCP(tcpSeg(81, 0x02), net.ParseIP("10.244.1.6"), exps); len(got) != 0 {
		t.Errorf("SYN from another source matched: %v", got)
	}
}

// witnessRun runs the witness in-process; returns its stdout reader and the stdin writer.
func witnessRun(t *testing.T, args ...string) (*bufio.Reader, io.WriteCloser, chan int) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	code := make(chan int, 1)
	var stderr strings.Builder
	go func() {
		c := cmdWitness(args, inR, outW, &stderr)
		outW.Close()
		code <- c
	}()
	r := bufio.NewReader(outR)
	line, err := r.ReadString('\n')
	if err != nil {
		c := <-code
		if c == 1 && strings.Contains(stderr.String(), "CAP_NET_RAW") {
			t.Skip("no CAP_NET_RAW here: " + stderr.String())
		}
		t.Fatalf("no ready line (exit %d): %s", c, stderr.String())
	}
	if !strings.Contains(line, `"ready":true`) {
		t.Fatalf("first line is not ready: %s", line)
	}
	return r, inW, code
}

func readArrivals(t *testing.T, r *bufio.Reader) (map[string]arrival, witnessDone) {
	t.Helper()
	got := map[string]arrival{}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("output ended without a done line: %v", err)
		}
		if strings.Contains(line, `"done":true`) {
			var d witnessDone
			json.Unmarshal([]byte(line), &d)
			return got, d
		}
		var a arrival
		if err := json.Unmarshal([]byte(line), &a); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		got[a.ID] = a
	}
}

// On loopback, with nothing listening: the UDP datagram with the marker and the TCP SYN arrive
// (the kernel answers ICMP port unreachable and RST, which a source reads as refused); an
// expectation for a port nobody probes does not.
func TestWitnessSeesProbesToClosedPorts(t *testing.T) {
	udpPort, tcpPort, unused := closedPort(t, "udp"), closedPort(t, "tcp"), closedPort(t, "udp")
	marker := "nphw-test-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	exp := `[{"id":"udp","proto":"udp","port":` + strconv.Itoa(udpPort) + `,"marker":"` + marker + `"},` +
		`{"id":"tcp","proto":"tcp","port":` + strconv.Itoa(tcpPort) + `,"src":"127.0.0.1"},` +
		`{"id":"never","proto":"udp","port":` + strconv.Itoa(unused) + `,"marker":"` + marker + `-x"}]`
	r, stdin, code := witnessRun(t, "--expect", exp, "--max-ms", "10000", "--grace-ms", "100")

	p := probeInProcess(t, []target{
		{ID: "u", Kind: "udp", Host: "127.0.0.1", Port: udpPort, TimeoutMs: 1000, Marker: marker},
		{ID: "t", Kind: "tcp", Host: "127.0.0.1", Port: tcpPort, TimeoutMs: 1000},
	})
	expectClass(t, p, "u", classRefused, "")
	expectClass(t, p, "t", classRefused, "")
	stdin.Write([]byte("stop\n"))
	got, done := readArrivals(t, r)
	if c := <-code; c != 0 {
		t.Fatalf("exit %d", c)
	}
	if !got["udp"].Arrived || got["udp"].From != "127.0.0.1" || !got["tcp"].Arrived {
		t.Errorf("probes to closed ports must arrive: %+v", got)
	}
	if got["never"].Arrived {
		t.Errorf("an unprobed port arrived: %+v", got["never"])
	}
	if done.Count != 3 || done.Arrived != 2 || done.Stopped != "stdin" {
		t.Errorf("done line: %+v", done)
	}
}

func TestWitnessStopsWhenAllArrivedOrAtMax(t *testing.T) {
	port := closedPort(t, "udp")
	marker := "nphw-all-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	r, _, code := witnessRun(t, "--expect", `[{"id":"u","proto":"udp","port":`+strconv.Itoa(port)+`,"marker":"`+marker+`"}]`, "--max-ms", "10000")
	probeInProcess(t, []target{{ID: "u", Kind: "udp", Host: "127.0.0.1", Port: port, TimeoutMs: 500, Marker: marker}})
	_, done := readArrivals(t, r)
	<-code
	if done.Stopped != "all arrived" || done.Arrived != 1 {
		t.Errorf("done line: %+v", done)
	}
	r, _, code = witnessRun(t, "--expect", `[{"id":"u","proto":"udp","port":`+strconv.Itoa(port)+`,"marker":"x"}]`, "--max-ms", "200", "--stdin-stop=false")
	got, done := readArrivals(t, r)
	<-code
	if done.Stopped != "max-ms" || got["u"].Arrived {
		t.Errorf("nothing sent: %+v %+v", got, done)
	}
}

func TestWitnessBadInput(t *testing.T) {
	for _, args := range [][]string{{}, {"--expect", "[]", "extra"}, {"--expect", `[{"id":"a"}]`}, {"--expect", "[]", "--max-ms", "0"}} {
		var out, errb strings.Builder
		if c := cmdWitness(args, strings.NewReader(""), &out, &errb); c != 2 || out.Len() != 0 {
			t.Errorf("%v: exit %d, stdout %q", args, c, out.String())
		}
	}
}
