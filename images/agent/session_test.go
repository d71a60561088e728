package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestSession: each request line gets its results and a done line naming its round, in order;
// a bad line gets a done line with an error and the session goes on; EOF ends it with exit 0.
func TestSession(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	open := ln.Addr().(*net.TCPAddr).Port
	closed := closedPort(t, "tcp")
	req := func(round int, targets []target) string {
		b, _ := json.Marshal(map[string]any{"round": round, "parallel": 4, "targets": targets})
		return string(b) + "\n"
	}
	in := req(1, []target{{ID: "open", Kind: "tcp", Host: "127.0.0.1", Port: open, TimeoutMs: 1000}}) +
		"not json\n" +
		`{"round":3,"targets":[{"id":"x","kind":"tcp"}]}` + "\n" +
		req(4, []target{{ID: "open", Kind: "tcp", Host: "127.0.0.1", Port: open, TimeoutMs: 1000}, {ID: "closed", Kind: "tcp", Host: "127.0.0.1", Port: closed, TimeoutMs: 1000}})
	var out, errb bytes.Buffer
	if code := run([]string{"session"}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("session exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var got []string
	for _, l := range lines {
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("bad line %q", l)
		}
		if v["done"] == true {
			e, _ := v["error"].(string)
			got = append(got, "done "+jsonNum(v["round"])+" "+jsonNum(v["count"])+" "+firstWord(e))
		} else {
			got = append(got, v["id"].(string)+" "+v["class"].(string))
		}
	}
	want := []string{"open connected", "done 1 1 ", "done -1 0 invalid", "done 3 0 invalid", "?", "?", "done 4 2 "}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %d lines", got, len(want))
	}
	// Round 4's two results come in either order.
	r4 := map[string]bool{got[4]: true, got[5]: true}
	if !r4["open connected"] || !r4["closed refused"] {
		t.Errorf("round 4 results %q", got[4:6])
	}
	for i, w := range want {
		if w != "?" && got[i] != w {
			t.Errorf("line %d: %q, want %q", i, got[i], w)
		}
	}
}

func TestSessionBadFlags(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"session", "--parallel", "0"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
	if code := run([]string{"session", "extra"}, strings.NewReader(""), &out, &errb); code != 2 {
		t.Errorf("exit %d, want 2", code)
	}
}

func jsonNum(v any) string {
	f, _ := v.(float64)
	b, _ := json.Marshal(int(f))
	return string(b)
}

func firstWord(s string) string {
	if i := strings.IndexByte(s, ' '); i >= 0 {
		return s[:i]
	}
	return s
}

// TestSessionSpread: spreadMs spreads the starts (the last of 3 starts 2/3 of the way in); a
// negative spread is refused without probing.
func TestSessionSpread(t *testing.T) {
	closed := closedPort(t, "tcp")
	tg := []target{}
	for _, id := range []string{"a", "b", "c"} {
		tg = append(tg, target{ID: id, Kind: "tcp", Host: "127.0.0.1", Port: closed, TimeoutMs: 1000})
	}
	b, _ := json.Marshal(map[string]any{"round": 1, "spreadMs": 300, "targets": tg})
	in := string(b) + "\n" + `{"round":2,"spreadMs":-1,"targets":[]}` + "\n"
	var out, errb bytes.Buffer
	if code := run([]string{"session"}, strings.NewReader(in), &out, &errb); code != 0 {
		t.Fatalf("session exit %d: %s", code, errb.String())
	}
	var dones []sessionDone
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var d sessionDone
		if json.Unmarshal([]byte(l), &d) == nil && d.Done {
			dones = append(dones, d)
		}
	}
	if len(dones) != 2 || dones[0].Count != 3 || dones[0].ElapsedMs < 190 {
		t.Fatalf("done lines %+v: want round 1 with 3 results after >= 200 ms", dones)
	}
	if !strings.Contains(dones[1].Error, "spreadMs") {
		t.Errorf("round 2: %+v, want a spreadMs error", dones[1])
	}
}

// countingWriter records each Write call (a frame on the exec stream).
type countingWriter struct {
	mu     sync.Mutex
	writes []string
	seen   chan string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.writes = append(w.writes, string(p))
	w.mu.Unlock()
	w.seen <- string(p)
	return len(p), nil
}

// TestSessionRoundIsOneWrite: a round's result lines and its done line leave in one write, and
// they leave before the session waits for the next request (the harness waits for the done line).
func TestSessionRoundIsOneWrite(t *testing.T) {
	closed := closedPort(t, "tcp")
	tg := []target{}
	for i := 0; i < 50; i++ {
		tg = append(tg, target{ID: fmt.Sprintf("c%d", i), Kind: "tcp", Host: "127.0.0.1", Port: closed, TimeoutMs: 1000})
	}
	b, _ := json.Marshal(map[string]any{"round": 1, "parallel": 8, "targets": tg})
	inR, inW := io.Pipe()
	w := &countingWriter{seen: make(chan string, 16)}
	exit := make(chan int, 1)
	go func() { exit <- run([]string{"session"}, inR, w, io.Discard) }()
	if _, err := inW.Write(append(b, '\n')); err != nil {
		t.Fatal(err)
	}
	// stdin stays open: the round's output must arrive anyway.
	select {
	case first := <-w.seen:
		lines := strings.Split(strings.TrimSpace(first), "\n")
		if len(lines) != 51 || !strings.HasPrefix(lines[50], `{"done":true,"round":1`) {
			t.Fatalf("first write has %d lines (want 50 results and the done line), last %q", len(lines), lines[len(lines)-1])
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no output for round 1 while the session waits for its next request")
	}
	inW.Close()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if len(w.writes) != 1 {
		t.Fatalf("%d writes, want 1", len(w.writes))
	}
}
