// Traffic patterns used by expectation rules:  <source> -> <destination>[:<ports>[/<protocols>]]
// Parsing is pure; resolving names against the suite's endpoints reports unknown references.
import type { Protocol } from '../suite/schema.js';
import type { Axes, Column, Endpoint } from './axes.js';

export type EndpointSelector =
  | { kind: 'any' }
  | { kind: 'namespace'; namespace: string }
  | { kind: 'endpoint'; id: string }
  | { kind: 'name'; name: string };

export type ExternalSelector = { kind: 'external'; name: string };
/** A source: an in-cluster endpoint selector, or an external with `source: true`. */
export type SourceSelector = EndpointSelector | ExternalSelector;
export type DestSelector = EndpointSelector | ExternalSelector | { kind: 'dns'; name?: string };

export interface TrafficPattern {
  text: string;
  from: SourceSelector;
  to: DestSelector;
  /** undefined = any port */
  ports?: (number | string)[];
  /** undefined = any protocol */
  protocols?: Protocol[];
}

export class PatternError extends Error {}

const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function parseEndpoint(text: string, side: string): EndpointSelector {
  if (text === '*') return { kind: 'any' };
  const slash = text.split('/');
  if (slash.length === 2) {
    const [ns, name] = slash as [string, string];
    if (!NAME.test(ns)) throw new PatternError(`${side} namespace "${ns}" is not a valid name`);
    if (name === '*') return { kind: 'namespace', namespace: ns };
    if (!NAME.test(name)) throw new PatternError(`${side} "${name}" is not a valid name`);
    return { kind: 'endpoint', id: `${ns}/${name}` };
  }
  if (slash.length === 1 && NAME.test(text)) return { kind: 'name', name: text };
  throw new PatternError(`${side} "${text}" must be "*", "<namespace>/*", "<namespace>/<name>" or "<name>"`);
}

function parseExternal(name: string): ExternalSelector {
  if (!NAME.test(name)) throw new PatternError(`external "${name}" is not a valid name`);
  return { kind: 'external', name };
}

/** A source reference: `*`, `<ns>/*`, `<ns>/<name>`, a unique `<name>` or `external:<name>` (also `explain --from`). */
export function parseSource(text: string): SourceSelector {
  const t = text.trim();
  if (t.startsWith('external:')) return parseExternal(t.slice('external:'.length));
  return parseEndpoint(t, 'source');
}

/**
 * A destination reference, the one grammar for expectation rules and `explain --to`:
 * `dns`, `dns:<name>`, `external:<name>[:<ports>[/<protocols>]]` or `<endpoint>[:<ports>[/<protocols>]]`.
 */
export function parseDestination(text: string): Omit<TrafficPattern, 'text' | 'from'> {
  let dst = text.trim();
  if (dst === 'dns' || dst.startsWith('dns:')) {
    const name = dst === 'dns' ? undefined : dst.slice(4);
    if (name === '') throw new PatternError(`"dns:" needs a name, or use "dns" for every DNS check`);
    return { to: name === undefined ? { kind: 'dns' } : { kind: 'dns', name } };
  }
  let external = false;
  if (dst.startsWith('external:')) {
    external = true;
    dst = dst.slice('external:'.length);
  }
  const colon = dst.indexOf(':');
  const target = colon === -1 ? dst : dst.slice(0, colon);
  const portPart = colon === -1 ? undefined : dst.slice(colon + 1);
  const out: Omit<TrafficPattern, 'text' | 'from'> = { to: { kind: 'any' } };
  if (external) {
    out.to = parseExternal(target);
  } else {
    out.to = parseEndpoint(target, 'destination');
  }
  if (portPart !== undefined) {
    const [ports, protos, extra] = portPart.split('/');
    if (extra !== undefined) throw new PatternError(`"${portPart}" has more than one "/"`);
    if (ports === undefined || ports === '') throw new PatternError(`missing port after ":" (use "*" for any port)`);
    if (ports !== '*') {
      out.ports = ports.split(',').map((p) => {
        const s = p.trim();
        if (/^\d+$/.test(s)) {
          const n = Number(s);
          if (n < 1 || n > 65535) throw new PatternError(`port ${s} is outside 1-65535`);
          return n;
        }
        if (!NAME.test(s)) throw new PatternError(`port "${s}" is neither a number nor a port name`);
        return s;
      });
    }
    if (protos !== undefined && protos !== '*') {
      out.protocols = protos.split(',').map((p) => {
        const s = p.trim().toUpperCase();
        if (!PROTOCOLS.has(s)) throw new PatternError(`protocol "${p}" must be TCP, UDP or SCTP`);
        return s as Protocol;
      });
    }
  }
  return out;
}

export function parsePattern(text: string): TrafficPattern {
  const parts = text.split('->');
  if (parts.length !== 2) throw new PatternError(`"${text}" must have the form "<source> -> <destination>[:<ports>[/<protocols>]]"`);
  return { text, from: parseSource(parts[0]!), ...parseDestination(parts[1]!) };
}

/** Checks every name in a pattern refers to something in the suite; returns problems as text. */
export function unresolvedNames(p: TrafficPattern, axes: Axes): string[] {
  const problems: string[] = [];
  const inCluster = [...axes.sources, ...axes.destinations.filter((d) => d.kind !== 'external')];
  const check = (sel: DestSelector, side: 'source' | 'destination', pool: Endpoint[]): void => {
    if (sel.kind === 'endpoint' && !pool.some((e) => e.id === sel.id)) problems.push(`unknown ${side} "${sel.id}"`);
    if (sel.kind === 'namespace' && !pool.some((e) => e.namespace === sel.namespace))
      problems.push(`no ${side} in namespace "${sel.namespace}"`);
    if (sel.kind === 'name') {
      // A deployed workload is in the pool twice (source and destination): count distinct ids.
      const n = [...new Set(pool.filter((e) => e.name === sel.name && e.kind !== 'external').map((e) => e.id))];
      if (n.length === 0) problems.push(`unknown ${side} "${sel.name}"`);
      if (n.length > 1) problems.push(`${side} "${sel.name}" is ambiguous: write ${n.join(' or ')}`);
    }
    if (sel.kind === 'external' && !axes.destinations.some((e) => e.kind === 'external' && e.name === sel.name))
      problems.push(`unknown external "${sel.name}"`);
    else if (sel.kind === 'external' && side === 'source' && !pool.some((e) => e.id === `external:${sel.name}`))
      problems.push(`external "${sel.name}" is not a source: set source: true on it`);
    if (sel.kind === 'dns' && sel.name !== undefined && !axes.columns.some((c) => c.kind === 'dns' && c.name === sel.name))
      problems.push(`"${sel.name}" is not one of the DNS checks (probe.dnsNames)`);
  };
  check(p.from, 'source', axes.sources);
  check(p.to, 'destination', p.to.kind === 'external' ? axes.destinations : inCluster);
  if (p.ports && (p.to.kind === 'endpoint' || p.to.kind === 'name' || p.to.kind === 'external')) {
    const dests = axes.destinations.filter((d) => selects(p.to, d));
    for (const port of p.ports) {
      // Ports discovered at run time cannot be checked offline.
      const known = dests.some((d) => d.portsDiscovered || d.ports.some((dp) => dp.port === port || dp.name === port));
      if (dests.length > 0 && !known) problems.push(`destination has no port "${port}"`);
    }
  }
  return problems;
}

function selects(sel: DestSelector, e: Endpoint): boolean {
  switch (sel.kind) {
    case 'any':
      return true;
    case 'namespace':
      return e.namespace === sel.namespace;
    case 'endpoint':
      return e.id === sel.id;
    case 'name':
      return e.kind !== 'external' && e.name === sel.name;
    case 'external':
      return e.kind === 'external' && e.name === sel.name;
    case 'dns':
      return false;
  }
}

/** Whether the pattern's destination side names this endpoint (ports and protocols aside). */
export function selectsDestination(p: TrafficPattern, dst: Endpoint): boolean {
  return selects(p.to, dst);
}

export function matchesSource(p: TrafficPattern, src: Endpoint): boolean {
  return selects(p.from, src);
}

/** `*` covers every connection column (in-cluster and external); DNS checks only match `dns`. */
export function matchesColumn(p: TrafficPattern, col: Column, destinations: Map<string, Endpoint>): boolean {
  if (col.kind === 'dns') return p.to.kind === 'dns' && (p.to.name === undefined || p.to.name === col.name);
  if (p.to.kind === 'dns') return false;
  const dst = destinations.get(col.dst);
  if (!dst || !selects(p.to, dst)) return false;
  if (p.ports && !p.ports.some((port) => port === col.port || port === col.portName)) return false;
  if (p.protocols && !p.protocols.includes(col.protocol)) return false;
  return true;
}
