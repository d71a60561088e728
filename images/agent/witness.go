package main

// witness: records which probes reached this pod, whatever the application does with them.
// It reads copies of every IPv4 UDP and TCP packet delivered to the pod (raw IP sockets, which
// need CAP_NET_RAW) and matches them against the expectations it was given:
//   - udp: a datagram to the port whose payload contains the probe's marker;
//   - tcp: a SYN (no ACK) from the source address to the port.
// A packet that arrived passed every policy on its way in, so "arrived" is an allow even when
// nothing listens (the kernel then answers with an RST or ICMP port unreachable, which the
// source alone would read as a reject).
//
// Stops when every expectation has arrived, when a line (or EOF) arrives on stdin (unless
// --stdin-stop=false), or after
// --max-ms; then prints one result line per expectation and a done line. The first line,
// printed once the sockets are open, is {"ready":true,...}: probes sent after it are seen.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

type expectation struct {
	ID     string `json:"id"`
	Proto  string `json:"proto"`
	Port   int    `json:"port"`
	Marker string `json:"marker"`
	Src    string `json:"src"`
}

type arrival struct {
	ID      string  `json:"id"`
	Arrived bool    `json:"arrived"`
	Count   int     `json:"count"`
	FirstMs float64 `json:"firstMs,omitempty"`
	From    string  `json:"from,omitempty"`
}

type readyLine struct {
	Ready   bool     `json:"ready"`
	Sockets []string `json:"sockets"`
}

type witnessDone struct {
	Done      bool    `json:"done"`
	Count     int     `json:"count"`
	Arrived   int     `json:"arrived"`
	Packets   int     `json:"packets"`
	ElapsedMs float64 `json:"elapsedMs"`
	Stopped   string  `json:"stopped"`
}

func parseExpectations(raw []byte) ([]expectation, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return nil, errors.New("want a JSON array of expectations")
	}
	var exps []expectation
	if err := json.Unmarshal(raw, &exps); err != nil {
		return nil, err
	}
	for i, e := range exps {
		var err error
		switch {
		case e.ID == "":
			err = errors.New("missing id")
		case e.Port < 1 || e.Port > 65535:
			err = errors.New("port must be 1..65535")
		case e.Proto == "udp" && e.Marker == "":
			err = errors.New("udp needs a marker")
		case e.Proto == "tcp" && net.ParseIP(e.Src).To4() == nil:
			err = errors.New("tcp needs src, an IPv4 address")
		case e.Proto != "udp" && e.Proto != "tcp":
			err = fmt.Errorf("unknown proto %q (want udp or tcp)", e.Proto)
		}
		if err != nil {
			return nil, fmt.Errorf("expectation %d (id %q): %v", i, e.ID, err)
		}
	}
	return exps, nil
}

// matchUDP returns the indexes of the expectations a UDP segment (header + payload) satisfies.
func matchUDP(seg []byte, exps []expectation) []int {
	if len(seg) < 8 {
		return nil
	}
	dport := int(binary.BigEndian.Uint16(seg[2:4]))
	payload := seg[8:]
	var out []int
	for i, e := range exps {
		if e.Proto == "udp" && e.Port == dport && bytes.Contains(payload, []byte(e.Marker)) {
			out = append(out, i)
		}
	}
	return out
}

// matchTCP returns the indexes of the expectations a TCP segment from src satisfies: an
// opening SYN (ACK clear) to the expected port from the expected source.
func matchTCP(seg []byte, src net.IP, exps []expectation) []int {
	if len(seg) < 14 {
		return nil
	}
	dport := int(binary.BigEndian.Uint16(seg[2:4]))
	flags := seg[13]
	if flags&0x02 == 0 || flags&0x10 != 0 {
		return nil
	}
	var out []int
	for i, e := range exps {
		if e.Proto == "tcp" && e.Port == dport && net.ParseIP(e.Src).Equal(src) {
			out = append(out, i)
		}
	}
	return out
}

// tally records arrivals; safe for the two reader goroutines.
type tally struct {
	mu      sync.Mutex
	start   time.Time
	exps    []expectation
	res     []arrival
	packets int
	left    int
	all     chan struct{}
}

func newTally(exps []expectation) *tally {
	t := &tally{start: time.Now(), exps: exps, res: make([]arrival, len(exps)), left: len(exps), all: make(chan struct{})}
	for i, e := range exps {
		t.res[i].ID = e.ID
	}
	if t.left == 0 {
		close(t.all)
	}
	return t
}

func (t *tally) record(idx []int, from net.IP) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.packets++
	for _, i := range idx {
		r := &t.res[i]
		if !r.Arrived {
			r.Arrived, r.FirstMs, r.From = true, ms(time.Since(t.start)), from.String()
			t.left--
			if t.left == 0 {
				close(t.all)
			}
		}
		r.Count++
	}
}

// listen opens a raw IPv4 socket for one protocol and feeds matches to the tally until closed.
func listen(proto string, t *tally, match func(seg []byte, src net.IP) []int) (net.PacketConn, error) {
	c, err := net.ListenPacket("ip4:"+proto, "0.0.0.0")
	if err != nil {
		return nil, err
	}
	go func() {
		buf := make([]byte, 65536)
		for {
			// Go strips the IPv4 header of raw IPv4 sockets: buf holds the transport segment.
			n, addr, err := c.ReadFrom(buf)
			if err != nil {
				return
			}
			ip := addr.(*net.IPAddr).IP
			if idx := match(buf[:n], ip); len(idx) > 0 {
				t.record(idx, ip)
			}
		}
	}()
	return c, nil
}

func cmdWitness(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	expectArg := fs.String("expect", "", "JSON array of expectations")
	maxMs := fs.Int("max-ms", 120000, "stop after this long at the latest")
	graceMs := fs.Int("grace-ms", 300, "keep listening this long after the stop line, for packets in flight")
	stdinStop := fs.Bool("stdin-stop", true, "stop on a line or EOF on stdin (false: without attached stdin, e.g. kubectl exec without -i)")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nph-agent witness: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 || *expectArg == "" || *maxMs < 1 || *maxMs > maxTimeoutMs || *graceMs < 0 {
		fmt.Fprintln(stderr, "nph-agent witness: usage: witness --expect '<json array>' [--max-ms 1..600000] [--grace-ms N]")
		return 2
	}
	exps, err := parseExpectations([]byte(*expectArg))
	if err != nil {
		fmt.Fprintf(stderr, "nph-agent witness: invalid --expect: %v\n", err)
		return 2
	}
	t := newTally(exps)
	var sockets []string
	var conns []net.PacketConn
	for _, proto := range []string{"udp", "tcp"} {
		need := false
		for _, e := range exps {
			need = need || e.Proto == proto
		}
		if !need {
			continue
		}
		match := func(seg []byte, _ net.IP) []int { return matchUDP(seg, exps) }
		if proto == "tcp" {
			match = func(seg []byte, src net.IP) []int { return matchTCP(seg, src, exps) }
		}
		c, err := listen(proto, t, match)
		if err != nil {
			fmt.Fprintf(stderr, "nph-agent witness: raw %s socket: %v (the witness needs CAP_NET_RAW)\n", proto, err)
			return 1
		}
		conns = append(conns, c)
		sockets = append(sockets, "ip4:"+proto)
	}
	enc := json.NewEncoder(stdout)
	enc.Encode(readyLine{Ready: true, Sockets: sockets})

	stop := make(chan struct{})
	go func() {
		if !*stdinStop {
			return
		}
		// Any line, or EOF, on stdin is the caller saying its probes are done.
		bufio.NewReader(stdin).ReadString('\n')
		close(stop)
	}()
	reason := "max-ms"
	select {
	case <-t.all:
		reason = "all arrived"
	case <-stop:
		reason = "stdin"
		select {
		case <-t.all:
		case <-time.After(time.Duration(*graceMs) * time.Millisecond):
		}
	case <-time.After(time.Duration(*maxMs) * time.Millisecond):
	}
	for _, c := range conns {
		c.Close()
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	arrived := 0
	for _, r := range t.res {
		enc.Encode(r)
		if r.Arrived {
			arrived++
		}
	}
	enc.Encode(witnessDone{Done: true, Count: len(exps), Arrived: arrived, Packets: t.packets, ElapsedMs: ms(time.Since(t.start)), Stopped: reason})
	return 0
}
