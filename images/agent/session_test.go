package main

import (
	"bytes"
	"encoding/json"
	"net"
	"strings"
	"testing"
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
