package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// Probe outcome classes, the vocabulary the TypeScript side compares against expectations.
const (
	classConnected   = "connected"
	classRefused     = "refused"
	classTimeout     = "timeout"
	classDNSFailure  = "dns-failure"
	classError       = "error"
	classUnsupported = "unsupported"
)

// rejectErrnos are answers from the network or the local stack that mean "denied": ICMP port
// unreachable (ECONNREFUSED, also a TCP RST), ICMP host/net unreachable or admin-prohibited
// (EHOSTUNREACH, ENETUNREACH), ICMP protocol unreachable (ENOPROTOOPT) and local firewall
// rejects (EPERM, EACCES). A reject is a deny, just a fast one.
var rejectErrnos = map[syscall.Errno]string{
	syscall.ECONNREFUSED: "ECONNREFUSED",
	syscall.EHOSTUNREACH: "EHOSTUNREACH",
	syscall.ENETUNREACH:  "ENETUNREACH",
	syscall.ENOPROTOOPT:  "ENOPROTOOPT",
	syscall.EACCES:       "EACCES",
	syscall.EPERM:        "EPERM",
}

// classifyErr maps a failed probe's error to a class and a human-readable detail.
// Order matters: a DNS error is also a net.Error that may report Timeout().
func classifyErr(err error, t target) (class, detail string) {
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return classDNSFailure, dnsDetail(dnsErr)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		if name, ok := rejectErrnos[errno]; ok {
			return classRefused, name + ": " + errno.Error()
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

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// dnsDetail says which kind of DNS failure it was; the class is dns-failure either way.
func dnsDetail(e *net.DNSError) string {
	switch {
	case e.IsNotFound:
		return "no such host"
	case e.IsTimeout:
		return "timeout"
	default:
		return e.Err
	}
}
