package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
)

// SCTP goes through raw syscalls: the Go standard library has no SCTP support, and a one-to-one
// (SOCK_STREAM) SCTP socket behaves like TCP for connect/accept, which is all we need.

const ipprotoSCTP = 132

// sctpProtocol is the protocol the SCTP code asks for. It is a variable only so tests can run
// this same raw-socket code over TCP on kernels without SCTP (like the CI machine's).
var sctpProtocol = ipprotoSCTP

// isNoSCTP reports whether err means the kernel cannot create SCTP sockets at all
// (CONFIG_IP_SCTP unset or the sctp module not loadable).
func isNoSCTP(err error) bool {
	return errors.Is(err, syscall.EPROTONOSUPPORT) || errors.Is(err, syscall.ESOCKTNOSUPPORT)
}

// listenSCTP returns a blocking listening SCTP socket on 0.0.0.0:port.
func listenSCTP(port int) (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, sctpProtocol)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		syscall.Close(fd)
		return -1, os.NewSyscallError("setsockopt", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Port: port}); err != nil {
		syscall.Close(fd)
		return -1, os.NewSyscallError("bind", err)
	}
	if err := syscall.Listen(fd, 128); err != nil {
		syscall.Close(fd)
		return -1, os.NewSyscallError("listen", err)
	}
	return fd, nil
}

// serveSCTP accepts forever, answering like serveTCP. Blocking accept pins one OS thread,
// which is fine for a test agent.
func serveSCTP(fd int, reply []byte) {
	for {
		nfd, _, err := syscall.Accept4(fd, syscall.SOCK_CLOEXEC)
		if err != nil {
			if err == syscall.EINTR || err == syscall.ECONNABORTED {
				continue
			}
			if err == syscall.EINVAL { // listener shut down
				return
			}
			fmt.Fprintf(os.Stderr, "nph-agent serve: sctp accept: %v\n", err)
			return
		}
		go func() {
			syscall.Write(nfd, reply)
			syscall.Close(nfd)
		}()
	}
}

// probeSCTP connects with a non-blocking socket and waits for the handshake through the Go
// runtime poller, so the probe's deadline is enforced exactly like for TCP.
func probeSCTP(ctx context.Context, t target) (string, string) {
	ips, err := goResolver.LookupNetIP(ctx, "ip", t.Host)
	if err != nil {
		return classifyErr(err, t)
	}
	ip := ips[0].Unmap()
	family, sa := syscall.AF_INET6, syscall.Sockaddr(&syscall.SockaddrInet6{Port: t.Port, Addr: ip.As16()})
	if ip.Is4() {
		family, sa = syscall.AF_INET, &syscall.SockaddrInet4{Port: t.Port, Addr: ip.As4()}
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, sctpProtocol)
	if err != nil {
		if isNoSCTP(err) {
			return classUnsupported, "kernel has no SCTP support: socket: " + err.Error()
		}
		return classifyErr(os.NewSyscallError("socket", err), t)
	}
	// Connect before handing the fd to the poller (as package net does), so the completion
	// edge is seen by the registration even if the handshake finishes immediately.
	err = syscall.Connect(fd, sa)
	f := os.NewFile(uintptr(fd), "sctp") // non-blocking fd: os registers it with the poller; f owns fd
	defer f.Close()
	switch err {
	case nil:
	case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
		err = waitConnected(ctx, f)
	default:
		err = os.NewSyscallError("connect", err)
	}
	if err != nil {
		return classifyErr(err, t)
	}
	return classConnected, netip.AddrPortFrom(ip, uint16(t.Port)).String()
}

// waitConnected blocks until the non-blocking connect on f completes or ctx's deadline passes.
func waitConnected(ctx context.Context, f *os.File) error {
	if d, ok := ctx.Deadline(); ok {
		if err := f.SetWriteDeadline(d); err != nil {
			return err // not pollable: refuse rather than risk blocking past the deadline
		}
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var connErr error
	werr := rc.Write(func(fd uintptr) bool {
		v, err := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err != nil {
			connErr = os.NewSyscallError("getsockopt", err)
			return true
		}
		switch e := syscall.Errno(v); e {
		case syscall.EINPROGRESS, syscall.EALREADY, syscall.EINTR:
			return false // not done: wait for writability
		case 0:
			// No error yet may also mean "still connecting"; a peer address proves success.
			if _, err := syscall.Getpeername(int(fd)); err == nil {
				return true
			} else if err == syscall.ENOTCONN {
				return false
			} else {
				connErr = os.NewSyscallError("getpeername", err)
				return true
			}
		default:
			connErr = os.NewSyscallError("connect", e)
			return true
		}
	})
	if werr != nil {
		return werr // os.ErrDeadlineExceeded when the timeout hits
	}
	return connErr
}
