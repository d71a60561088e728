// NetworkPolicy ports: defaulting, matching (named ports resolve on the destination pod, per
// protocol), and port sets as interval lists that remember which rules opened each interval.
import type { ContainerPort, Protocol } from './model.js';
import type { CniProfile } from './profiles.js';
import type { NetworkPolicyPort } from './types.js';

export const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
export const MAX_PORT = 65535;

/** One compiled entry of a rule's `ports` list. */
export type PortEntry =
  /** `ports` missing or empty: every port of every protocol. */
  | { kind: 'all' }
  /** `{protocol}` without a port: every port of that protocol. */
  | { kind: 'protocol'; index: number; protocol: Protocol }
  | { kind: 'range'; index: number; protocol: Protocol; lo: number; hi: number; endPort?: number }
  | { kind: 'named'; index: number; protocol: Protocol; name: string };

/** Protocol defaults to TCP (SetDefaults_NetworkPolicyPort): `ports: [{}]` is "TCP, any port" (N16). */
export function compilePorts(ports: NetworkPolicyPort[] | undefined): PortEntry[] {
  if (!ports || ports.length === 0) return [{ kind: 'all' }];
  // A null entry is a zero NetworkPolicyPort, as the API server decodes it: every TCP port.
  return ports.map((entry, index): PortEntry => {
    const p = entry ?? {};
    const protocol = p.protocol ?? 'TCP';
    if (p.port === undefined || p.port === null) return { kind: 'protocol', index, protocol };
    if (typeof p.port === 'string') {
      // An all-digit string is a number in IntOrString YAML only when unquoted; treat "80" as 80 anyway.
      if (/^\d+$/.test(p.port)) return { kind: 'range', index, protocol, lo: Number(p.port), hi: Number(p.port) };
      return { kind: 'named', index, protocol, name: p.port };
    }
    return {
      kind: 'range',
      index,
      protocol,
      lo: p.port,
      hi: p.endPort ?? p.port,
      ...(p.endPort !== undefined ? { endPort: p.endPort } : {}),
    };
  });
}

/** The highest port an entry opens under a profile: plugins without endPort allow only `port` (ranges not written with endPort, such as ClusterNetworkPolicy's, are whole). */
export function effectiveHi(e: Extract<PortEntry, { kind: 'range' }>, profile: CniProfile): number {
  return profile.endPortSupported || e.endPort === undefined ? e.hi : e.lo;
}

/** Resolves a named port on a destination's container ports, for one protocol. */
export function resolveNamedPort(name: string, protocol: Protocol, dstPorts: readonly ContainerPort[] | undefined): number | undefined {
  return dstPorts?.find((p) => p.name === name && p.protocol === protocol)?.port;
}

/**
 * Does one entry allow `port/protocol` to a destination? `dstPorts` is undefined when the destination
 * is not a pod (a named port can never match an external address, N20).
 */
export function entryMatches(
  e: PortEntry,
  protocol: Protocol,
  port: number,
  dstPorts: readonly ContainerPort[] | undefined,
  profile: CniProfile,
): boolean {
  switch (e.kind) {
    case 'all':
      return true;
    case 'protocol':
      return e.protocol === protocol;
    case 'range':
      return e.protocol === protocol && port >= e.lo && port <= effectiveHi(e, profile);
    case 'named':
      return e.protocol === protocol && resolveNamedPort(e.name, protocol, dstPorts) === port;
  }
}

export function describeEntry(e: PortEntry): string {
  switch (e.kind) {
    case 'all':
      return 'all ports and protocols';
    case 'protocol':
      return `any ${e.protocol} port`;
    case 'range':
      return e.endPort !== undefined ? `${e.lo}-${e.hi}/${e.protocol}` : `${e.lo}/${e.protocol}`;
    case 'named':
      return `${e.name}/${e.protocol}`;
  }
}

export function describeEntries(entries: readonly PortEntry[]): string {
  return entries.length === 1 && entries[0]!.kind === 'all' ? 'all ports' : `[${entries.map(describeEntry).join(', ')}]`;
}

/** What opened a port interval: a rule (and the entry of its ports list) or an exception. */
export interface Provenance {
  /** `ns/name` of the policy, or an exception name such as `not-isolated`. */
  policy: string;
  direction?: 'ingress' | 'egress';
  rule?: number;
  peer?: number;
  port?: number;
}

interface Segment {
  lo: number;
  hi: number;
  by: Provenance[];
}

/**
 * Disjoint, sorted port intervals per protocol, each with the rules that allowed it. Union keeps
 * every provenance so an explanation can name all rules that open a port, not just the first.
 */
export class PortSet {
  private readonly segs = new Map<Protocol, Segment[]>();

  static all(by: Provenance): PortSet {
    const s = new PortSet();
    for (const p of PROTOCOLS) s.add(p, 1, MAX_PORT, by);
    return s;
  }

  add(protocol: Protocol, lo: number, hi: number, by: Provenance): this {
    const list = this.segs.get(protocol) ?? [];
    const out: Segment[] = [];
    let cur = lo;
    for (const s of list) {
      if (s.hi < lo || s.lo > hi) {
        out.push(s);
        continue;
      }
      // Split the existing segment around the new interval.
      if (s.lo < lo) out.push({ lo: s.lo, hi: lo - 1, by: s.by });
      if (cur < s.lo) out.push({ lo: cur, hi: s.lo - 1, by: [by] });
      out.push({ lo: Math.max(s.lo, lo), hi: Math.min(s.hi, hi), by: [...s.by, by] });
      if (s.hi > hi) out.push({ lo: hi + 1, hi: s.hi, by: s.by });
      cur = Math.min(s.hi, hi) + 1;
    }
    if (cur <= hi) out.push({ lo: cur, hi, by: [by] });
    out.sort((a, b) => a.lo - b.lo);
    this.segs.set(protocol, out);
    return this;
  }

  union(other: PortSet): this {
    for (const [p, list] of other.segs) for (const s of list) for (const by of s.by) this.add(p, s.lo, s.hi, by);
    return this;
  }

  /** Ports present in both; provenance of both sides is kept. */
  intersect(other: PortSet): PortSet {
    const out = new PortSet();
    for (const [p, a] of this.segs) {
      const b = other.segs.get(p) ?? [];
      for (const x of a) {
        for (const y of b) {
          const lo = Math.max(x.lo, y.lo);
          const hi = Math.min(x.hi, y.hi);
          if (lo <= hi) for (const by of [...x.by, ...y.by]) out.add(p, lo, hi, by);
        }
      }
    }
    return out;
  }

  has(protocol: Protocol, port: number): boolean {
    return this.provenanceAt(protocol, port) !== undefined;
  }

  provenanceAt(protocol: Protocol, port: number): Provenance[] | undefined {
    for (const s of this.segs.get(protocol) ?? []) if (port >= s.lo && port <= s.hi) return s.by;
    return undefined;
  }

  isEmpty(): boolean {
    for (const l of this.segs.values()) if (l.length > 0) return false;
    return true;
  }

  /** Merged intervals per protocol, without provenance: `TCP 80-81, 443; UDP 53`. */
  toString(): string {
    const parts: string[] = [];
    for (const p of PROTOCOLS) {
      const merged: [number, number][] = [];
      for (const s of this.segs.get(p) ?? []) {
        const last = merged.at(-1);
        if (last && last[1] + 1 === s.lo) last[1] = s.hi;
        else merged.push([s.lo, s.hi]);
      }
      if (merged.length === 0) continue;
      const text = merged.map(([lo, hi]) => (lo === 1 && hi === MAX_PORT ? 'all' : lo === hi ? `${lo}` : `${lo}-${hi}`)).join(', ');
      parts.push(`${p} ${text}`);
    }
    return parts.length === 0 ? 'nothing' : parts.join('; ');
  }

  intervals(protocol: Protocol): { lo: number; hi: number; by: readonly Provenance[] }[] {
    return (this.segs.get(protocol) ?? []).map((s) => ({ ...s }));
  }
}
