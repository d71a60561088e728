package main

import (
	"encoding/binary"
	"math/rand/v2"
)

// The UDP probe sends a real DNS query (". IN NS", recursion desired) rather than arbitrary
// bytes: it is harmless to any DNS server, gets a reply from one (so UDP/53 to CoreDNS counts
// as connected), and the agent's own UDP server echoes it back.

// newDNSQuery builds a 17-byte DNS query for the root zone's NS records with a random ID.
func newDNSQuery() []byte {
	q := make([]byte, 12, 17)
	binary.BigEndian.PutUint16(q[0:], uint16(rand.Uint32()))
	binary.BigEndian.PutUint16(q[2:], 0x0100) // flags: standard query, RD
	binary.BigEndian.PutUint16(q[4:], 1)      // QDCOUNT
	q = append(q, 0)                          // QNAME: root
	q = append(q, 0, 2)                       // QTYPE NS
	q = append(q, 0, 1)                       // QCLASS IN
	return q
}

// looksLikeDNSQuery reports whether b has the shape of a DNS query: a full header, QR=0,
// opcode QUERY and at least one question.
func looksLikeDNSQuery(b []byte) bool {
	if len(b) < 12+5 { // header + shortest question (root name, type, class)
		return false
	}
	if b[2]&0x80 != 0 || (b[2]>>3)&0x0f != 0 {
		return false
	}
	return binary.BigEndian.Uint16(b[4:]) >= 1
}
