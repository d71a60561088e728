// nph-agent: the in-pod agent of netpol-harness. Every test pod runs it; it serves ports so
// workloads can be probed and, via one `kubectl exec` per source pod, probes many targets at once.
package main

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// processStart anchors the probe summary's elapsedMs to process start, so it reflects what the
// caller waits for (minus exec overhead), not just the probing phase.
var processStart = time.Now()

const usage = `usage:
  nph-agent version
  nph-agent serve [--tcp 80,8080] [--udp 53] [--sctp 9000]   (or env NPH_SERVE=tcp:80,udp:53,...)
  nph-agent probe --targets '<json array>'|- [--parallel 64]
  nph-agent session [--parallel 64]   (request lines on stdin, see README)
  nph-agent witness --expect '<json array>' [--max-ms 120000] [--grace-ms 300]   (needs CAP_NET_RAW)
`

func main() {
	// With SIGPIPE ignored a write to a closed stdout returns EPIPE instead of killing us by
	// signal; exitOnWriteError then exits cleanly (the reader has gone, nobody wants the rest).
	signal.Ignore(syscall.SIGPIPE)
	os.Exit(run(os.Args[1:], os.Stdin, exitOnWriteError{os.Stdout}, os.Stderr))
}

// run dispatches a subcommand and returns the process exit code (0 ok, 1 runtime failure,
// 2 bad usage or input). It takes its streams as arguments so tests can call it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "version", "--version", "-version":
		fmt.Fprintf(stdout, "nph-agent %s\n", version)
		return 0
	case "serve":
		return cmdServe(args[1:], stderr)
	case "probe":
		return cmdProbe(args[1:], stdin, stdout, stderr)
	case "session":
		return cmdSession(args[1:], stdin, stdout, stderr)
	case "witness":
		return cmdWitness(args[1:], stdin, stdout, stderr)
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "nph-agent: unknown subcommand %q (want version, serve, probe, session or witness)\n", args[0])
		return 2
	}
}

// exitOnWriteError wraps stdout: if the reader closed the pipe early there is nothing useful
// left to do, so exit at once instead of finishing probes nobody will read.
type exitOnWriteError struct{ w io.Writer }

func (e exitOnWriteError) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		os.Exit(0)
	}
	return n, nil
}
