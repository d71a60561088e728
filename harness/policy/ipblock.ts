// IP addresses and ipBlock peers as integer intervals. IPv4 and IPv6 are separate families:
// 0.0.0.0/0 never covers an IPv6 address (spec §1.5, N29).
import ipaddr from 'ipaddr.js';
import type { IPBlock } from './types.js';

export type Family = 4 | 6;

export interface Ip {
  family: Family;
  value: bigint;
}

/** Inclusive interval of one family. */
export interface IpRange {
  family: Family;
  lo: bigint;
  hi: bigint;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

function toBigInt(bytes: number[]): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

export function parseIp(text: string): Ip | undefined {
  if (!ipaddr.isValid(text)) return undefined;
  const a = ipaddr.parse(text);
  return { family: a.kind() === 'ipv4' ? 4 : 6, value: toBigInt(a.toByteArray()) };
}

/** Parses `a.b.c.d/n`; host bits are masked like the API server's sloppy CIDR parsing. */
export function parseCidr(text: string): IpRange | undefined {
  if (!ipaddr.isValidCIDR(text)) return undefined;
  const [addr, prefix] = ipaddr.parseCIDR(text);
  const family: Family = addr.kind() === 'ipv4' ? 4 : 6;
  const bits = BITS[family];
  const hostBits = BigInt(bits - prefix);
  const base = toBigInt(addr.toByteArray());
  const lo = (base >> hostBits) << hostBits;
  return { family, lo, hi: lo + (1n << hostBits) - 1n };
}

export function rangeContains(r: IpRange, ip: Ip): boolean {
  return r.family === ip.family && ip.value >= r.lo && ip.value <= r.hi;
}

export function rangeCovers(outer: IpRange, inner: IpRange): boolean {
  return outer.family === inner.family && inner.lo >= outer.lo && inner.hi <= outer.hi;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.lo <= b.hi && b.lo <= a.hi;
}

export interface CompiledIpBlock {
  cidr: IpRange;
  except: IpRange[];
  text: string;
}

/** undefined when the CIDR or an except is unparsable (such a policy is rejected elsewhere). */
export function compileIpBlock(b: IPBlock): CompiledIpBlock | undefined {
  const cidr = parseCidr(b.cidr);
  if (!cidr) return undefined;
  const except: IpRange[] = [];
  for (const e of b.except ?? []) {
    const r = parseCidr(e);
    if (!r) return undefined;
    except.push(r);
  }
  const text = b.except && b.except.length > 0 ? `${b.cidr} except ${b.except.join(', ')}` : b.cidr;
  return { cidr, except, text };
}

export type BlockMatch = { match: true } | { match: false; why: 'outside' | 'excepted'; except?: string };

export function ipBlockMatch(block: CompiledIpBlock, ip: Ip, honourExcept: boolean, src?: IPBlock): BlockMatch {
  if (!rangeContains(block.cidr, ip)) return { match: false, why: 'outside' };
  if (honourExcept) {
    for (const [i, e] of block.except.entries()) {
      if (rangeContains(e, ip)) return { match: false, why: 'excepted', ...(src?.except?.[i] ? { except: src.except[i] } : {}) };
    }
  }
  return { match: true };
}

/** How an ipBlock relates to a whole range (the pod subnet, for pods whose IP is not known yet). */
export type Coverage = 'all' | 'none' | 'partial';

export function ipBlockCoverage(block: CompiledIpBlock, range: IpRange, honourExcept: boolean): Coverage {
  if (!rangesOverlap(block.cidr, range)) return 'none';
  const excepts = honourExcept ? block.except : [];
  if (rangeCovers(block.cidr, range)) {
    if (excepts.some((e) => rangeCovers(e, range))) return 'none';
    return excepts.some((e) => rangesOverlap(e, range)) ? 'partial' : 'all';
  }
  // The CIDR covers part of the range; unless the excepts remove that part entirely, it is partial.
  const inside: IpRange = { family: range.family, lo: max(block.cidr.lo, range.lo), hi: min(block.cidr.hi, range.hi) };
  return excepts.some((e) => rangeCovers(e, inside)) ? 'none' : 'partial';
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * Disjoint "atoms" of the address space: every cidr/except boundary is a cut, so each atom is
 * either wholly inside or wholly outside every ipBlock. Endpoints in the same atom are
 * indistinguishable to ipBlock peers (netpol-analyzer's disjoint IP blocks).
 */
export class IpAtoms {
  private readonly cuts: Record<Family, bigint[]>;

  constructor(ranges: Iterable<IpRange>) {
    const sets: Record<Family, Set<bigint>> = { 4: new Set(), 6: new Set() };
    for (const r of ranges) {
      sets[r.family].add(r.lo);
      sets[r.family].add(r.hi + 1n);
    }
    const sorted = (s: Set<bigint>): bigint[] => [...s].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.cuts = { 4: sorted(sets[4]), 6: sorted(sets[6]) };
  }

  /** A stable id for the atom holding `ip`: `<family>:<index of the last cut at or below it>`. */
  atomOf(ip: Ip): string {
    const cuts = this.cuts[ip.family];
    let lo = 0;
    let hi = cuts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid]! <= ip.value) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return `${ip.family}:${found}`;
  }
}

export function formatIp(ip: Ip): string {
  const bytes: number[] = [];
  let v = ip.value;
  for (let i = 0; i < BITS[ip.family] / 8; i++) {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

export function formatRange(r: IpRange): string {
  const size = r.hi - r.lo + 1n;
  const prefix = BITS[r.family] - (size.toString(2).length - 1);
  return `${formatIp({ family: r.family, value: r.lo })}/${prefix}`;
}
