package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
)

// Probe outcome classes, the vocabulary the TypeScript side compares against expectations.
// refused, timeout and dns-failure count as a deny; error never does. The rule behind the
// mapping: a result that could come from a broken environment (a missing route, a typo in a
// name, a sick DNS server) must never read as a policy deny.
const (
	classConnected   = "connected"
	classRefused     = "refused"
	classTimeout     = "timeout"
	classDNSFailure  = "dns-failure"
	classError       = "error"
	classUnsupported = "unsupported"
)

// refusedErrnos are rejects that mean "denied": ICMP port unreachable or a TCP RST
// (ECONNREFUSED: what a REJECT rule such as kube-router's and a closed port produce), ICMP
// protocol unreachable (ENOPROTOOPT) and a local firewall in the pod's own network namespace
// rejecting the send (EPERM, EACCES). A reject is a deny, just a fast one.
var refusedErrnos = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.ENOPROTOOPT:  "ENOPROTOOPT",
	syscall.EACCES:       "EACCES",
	syscall.EPERM:        "EPERM",
}

// unreachableErrnos are classed as error, not as a deny: a missing or broken route gives the
// same errno as an ICMP host/net unreachable or admin-prohibited reject, so they cannot be told
// apart from here.
var unreachableErrnos = map[syscall.Errno]struct{ name, why string }{
	syscall.EHOSTUNREACH: {"EHOSTUNREACH", "a broken route or an ICMP host/admin-prohibited reject"},
	syscall.ENETUNREACH:  {"ENETUNREACH", "a broken route or an ICMP net-unreachable/prohibited reject"},
}

// classifyErr maps a failed probe's error to a class and a human-readable detail.
// Order matters: a DNS error is also a net.Error that may report Timeout().
func classifyErr(err error, t target) (class, detail string) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return classifyDNSErr(dnsErr, lookupName(t))
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name, ok := refusedErrnos[errno]; ok {
			return classRefused, name + ": " + errno.Error()
		}
		if u, ok := unreachableErrnos[errno]; ok {
			return classError, fmt.Sprintf("%s: %s (%s; not counted as a deny)", u.name, errno.Error(), u.why)
		}
		if isNoSCTP(errno) {
			return classUnsupported, errno.Error()
		}
		if errno == syscall.ETIMEDOUT { // kernel gave up retransmitting: no answer at all
			return classTimeout, "ETIMEDOUT: " + errno.Error()
		}
	}
	if isTimeout(err) {
		return classTimeout, fmt.Sprintf("no answer within %dms", t.TimeoutMs)
	}
	return classError, err.Error()
}

// classifyLookupErr classifies a failed name lookup (kind dns, or resolving host).
func classifyLookupErr(err error, t target) (class, detail string) {
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr):
		return classifyDNSErr(dnsErr, lookupName(t))
	case isTimeout(err):
		return classDNSFailure, "timeout"
	default:
		return classError, err.Error()
	}
}

// lookupName is the name a target resolves: name for kind dns, host otherwise.
func lookupName(t target) string {
	if t.Kind == "dns" {
		return t.Name
	}
	return t.Host
}

// dnsNoAnswerErrnos are socket errors talking to the DNS server that mean the query was rejected
// on its way (port unreachable, or a local firewall). Host/net unreachable are not here: as for
// any other target, a broken route gives the same errno, so they stay errors, never a deny.
// Order is the order they are matched in.
var dnsNoAnswerErrnos = []struct {
	errno syscall.Errno
	name  string
}{
	{syscall.ECONNREFUSED, "ECONNREFUSED"},
	{syscall.EACCES, "EACCES"},
	{syscall.EPERM, "EPERM"},
}

// classifyDNSErr: only a lookup that got no answer from the DNS server (timeout, or the query
// rejected on its way) is a dns-failure. Any answer from the server (NXDOMAIN, no records,
// SERVFAIL, REFUSED, a malformed reply) means the DNS path works, so it is an error: most
// likely a wrong name or a sick server, never a blocked DNS path.
func classifyDNSErr(e *net.DNSError, fallbackName string) (class, detail string) {
	name := e.Name
	if name == "" {
		name = fallbackName
	}
	switch {
	case e.IsNotFound:
		return classError, fmt.Sprintf("no such host: the DNS server answered that %s does not exist (check the name)", name)
	case e.IsTimeout || isTimeout(e):
		return classDNSFailure, "timeout"
	}
	if errno, ok := dnsErrno(e); ok {
		for _, n := range dnsNoAnswerErrnos {
			if n.errno == errno {
				detail := n.name + ": " + errno.Error()
				if e.Server != "" {
					detail += " (DNS server " + e.Server + ")"
				}
				return classDNSFailure, detail
			}
		}
	}
	return classError, e.Error()
}

// dnsErrno finds the socket errno behind a DNS error. The resolver keeps only the text of a
// socket error (e.g. "read udp 10.0.0.5:41234->10.96.0.10:53: read: connection refused"), so
// the errno is recognised by its message at the end of that text.
func dnsErrno(e *net.DNSError) (syscall.Errno, bool) {
	var errno syscall.Errno
	if errors.As(e, &errno) {
		return errno, true
	}
	for _, n := range dnsNoAnswerErrnos {
		if msg := n.errno.Error(); e.Err == msg || strings.HasSuffix(e.Err, ": "+msg) {
			return n.errno, true
		}
	}
	return 0, false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
