package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// serveSpec is the set of ports to listen on, per protocol.
type serveSpec struct{ tcp, udp, sctp []int }

func (s serveSpec) empty() bool { return len(s.tcp)+len(s.udp)+len(s.sctp) == 0 }

func (s serveSpec) String() string {
	var parts []string
	for _, p := range []struct {
		name  string
		ports []int
	}{{"tcp", s.tcp}, {"udp", s.udp}, {"sctp", s.sctp}} {
		if len(p.ports) > 0 {
			parts = append(parts, p.name+":"+joinInts(p.ports))
		}
	}
	return strings.Join(parts, " ")
}

// portList is a flag.Value accepting "80,8080" and repeated flags.
type portList struct{ ports *[]int }

func (p portList) String() string {
	if p.ports == nil {
		return ""
	}
	return joinInts(*p.ports)
}

func (p portList) Set(v string) error {
	for _, f := range strings.Split(v, ",") {
		port, err := parsePort(f)
		if err != nil {
			return err
		}
		*p.ports = append(*p.ports, port)
	}
	return nil
}

func parsePort(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return n, nil
}

// parseServeEnv parses NPH_SERVE ("tcp:80,tcp:8080,udp:53,sctp:9000").
func parseServeEnv(v string) (serveSpec, error) {
	var s serveSpec
	for _, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		proto, port, ok := strings.Cut(item, ":")
		if !ok {
			return s, fmt.Errorf("NPH_SERVE: %q is not proto:port", item)
		}
		n, err := parsePort(port)
		if err != nil {
			return s, fmt.Errorf("NPH_SERVE: %v", err)
		}
		switch strings.ToLower(proto) {
		case "tcp":
			s.tcp = append(s.tcp, n)
		case "udp":
			s.udp = append(s.udp, n)
		case "sctp":
			s.sctp = append(s.sctp, n)
		default:
			return s, fmt.Errorf("NPH_SERVE: unknown protocol %q", proto)
		}
	}
	return s, nil
}

func cmdServe(args []string, stderr io.Writer) int {
	var spec serveSpec
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // we print our own one-line errors
	fs.Var(portList{&spec.tcp}, "tcp", "TCP ports, comma separated")
	fs.Var(portList{&spec.udp}, "udp", "UDP ports, comma separated")
	fs.Var(portList{&spec.sctp}, "sctp", "SCTP ports, comma separated")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nph-agent serve: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nph-agent serve: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	// Flags win: the environment is only consulted when no port flag was given at all.
	if spec.empty() {
		if env := os.Getenv("NPH_SERVE"); env != "" {
			var err error
			if spec, err = parseServeEnv(env); err != nil {
				fmt.Fprintf(stderr, "nph-agent serve: %v\n", err)
				return 2
			}
		}
	}

	// Register before listening so a SIGTERM that arrives during startup still exits 0.
	// (As PID 1 in a container, an unhandled SIGTERM would be ignored entirely.)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	hostname, err := os.Hostname()
	if err != nil {
		hostname = "unknown"
	}
	reply := []byte(hostname + "\n")

	for _, p := range spec.tcp {
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(p))
		if err != nil {
			fmt.Fprintf(stderr, "nph-agent serve: %v\n", err)
			return 1
		}
		go serveTCP(ln, reply)
	}
	for _, p := range spec.udp {
		pc, err := net.ListenPacket("udp", ":"+strconv.Itoa(p))
		if err != nil {
			fmt.Fprintf(stderr, "nph-agent serve: %v\n", err)
			return 1
		}
		go serveUDP(pc, reply)
	}
	var sctpServed []int
	for _, p := range spec.sctp {
		fd, err := listenSCTP(p)
		if isNoSCTP(err) {
			// Expected on kernels without SCTP; the other protocols are still useful.
			fmt.Fprintf(stderr, "nph-agent serve: sctp:%s skipped: kernel has no SCTP support (%v)\n", joinInts(spec.sctp), err)
			break
		}
		if err != nil {
			fmt.Fprintf(stderr, "nph-agent serve: sctp port %d: %v\n", p, err)
			return 1
		}
		sctpServed = append(sctpServed, p)
		go serveSCTP(fd, reply)
	}
	spec.sctp = sctpServed

	if spec.empty() {
		fmt.Fprintf(stderr, "nph-agent %s: hostname %s, serving nothing (probe-only)\n", version, hostname)
	} else {
		fmt.Fprintf(stderr, "nph-agent %s: hostname %s, serving %s\n", version, hostname, spec)
	}
	<-sig
	return 0
}

// serveTCP answers every connection with the hostname and closes it, so a prober (or a human
// with nc) can tell which pod answered.
func serveTCP(ln net.Listener, reply []byte) {
	for {
		c, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. EMFILE: back off instead of spinning
			continue
		}
		go func() {
			c.SetWriteDeadline(time.Now().Add(5 * time.Second))
			c.Write(reply)
			c.Close()
		}()
	}
}

// serveUDP replies to every datagram. A DNS-shaped query is echoed back unchanged, so the
// probe's DNS-shaped datagram gets a DNS-shaped reply (some middleboxes/policies inspect DNS);
// anything else gets the hostname.
func serveUDP(pc net.PacketConn, reply []byte) {
	buf := make([]byte, 65535)
	for {
		n, addr, err := pc.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		out := reply
		if looksLikeDNSQuery(buf[:n]) {
			out = buf[:n]
		}
		pc.WriteTo(out, addr)
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}
