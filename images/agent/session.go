package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"
)

// A session is one long-lived exec per source pod: the harness writes one request line per
// round on stdin and reads that round's result lines and its done line, so a round costs no
// exec setup (a runc exec in the pod, an API server and kubelet stream) after the first.

// sessionRequest is one line on stdin: a round of probes.
type sessionRequest struct {
	Round    int `json:"round"`
	Parallel int `json:"parallel"`
	// SpreadMs spreads the probes' starts over this many milliseconds (see probeAll).
	SpreadMs int             `json:"spreadMs"`
	Targets  json.RawMessage `json:"targets"`
}

// sessionDone ends a round's output. Error is set (and no probe ran) when the request was bad.
type sessionDone struct {
	Done      bool    `json:"done"`
	Round     int     `json:"round"`
	Count     int     `json:"count"`
	ElapsedMs float64 `json:"elapsedMs"`
	Error     string  `json:"error,omitempty"`
}

// maxSessionLine bounds one request line (a round of about 40000 targets).
const maxSessionLine = 8 << 20

func cmdSession(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("session", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	parallel := fs.Int("parallel", 64, "maximum number of probes in flight when a request does not say")
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(stderr, "nph-agent session: %v\n", err)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "nph-agent session: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *parallel < 1 {
		fmt.Fprintln(stderr, "nph-agent session: --parallel must be at least 1")
		return 2
	}
	// A round's lines are buffered and written at its end (the harness reads nothing before the
	// done line): a line per result would be one frame per result through runc, the kubelet and
	// the API server, which with a hundred sessions of hundreds of results is what a round waits for.
	out := bufio.NewWriterSize(stdout, 256<<10)
	emit := lineEmitter(out)
	in := bufio.NewReaderSize(stdin, 64<<10)
	for {
		line, err := readLine(in)
		if len(line) > 0 {
			emit(serveRound(line, *parallel, emit))
			if ferr := out.Flush(); ferr != nil {
				fmt.Fprintf(stderr, "nph-agent session: writing results: %v\n", ferr)
				return 1
			}
		}
		if err == io.EOF {
			return 0 // the harness closed the session
		}
		if err != nil {
			fmt.Fprintf(stderr, "nph-agent session: reading stdin: %v\n", err)
			return 1
		}
	}
}

// readLine reads one line without its newline; a line longer than maxSessionLine is an error.
func readLine(in *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, isPrefix, err := in.ReadLine()
		line = append(line, chunk...)
		if len(line) > maxSessionLine {
			return nil, errors.New("request line too long")
		}
		if err != nil || !isPrefix {
			return line, err
		}
	}
}

// serveRound runs one request line and returns its done line (results are emitted as they come).
func serveRound(line []byte, parallel int, emit func(v any)) sessionDone {
	start := time.Now()
	var req sessionRequest
	if err := json.Unmarshal(line, &req); err != nil {
		return sessionDone{Done: true, Round: -1, Error: "invalid request: " + err.Error()}
	}
	targets, err := parseTargets(req.Targets)
	if err != nil {
		return sessionDone{Done: true, Round: req.Round, Error: "invalid targets: " + err.Error()}
	}
	if req.Parallel > 0 {
		parallel = req.Parallel
	}
	if req.SpreadMs < 0 || req.SpreadMs > maxTimeoutMs {
		return sessionDone{Done: true, Round: req.Round, Error: fmt.Sprintf("invalid request: spreadMs must be 0..%d", maxTimeoutMs)}
	}
	probeAll(targets, parallel, time.Duration(req.SpreadMs)*time.Millisecond, emit)
	return sessionDone{Done: true, Round: req.Round, Count: len(targets), ElapsedMs: ms(time.Since(start))}
}
