// Strict CIDR parsing and set relations, as the API server's IP validation sees them:
// dotted-quad IPv4 without leading zeros, IPv6 without zones, a decimal prefix length.
import ipaddr from 'ipaddr.js';

export interface Cidr {
  family: 4 | 6;
  /** The address as written (host bits may be set). */
  addr: bigint;
  prefix: number;
  /** The network address (host bits cleared). */
  network: bigint;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function parseV4(s: string): bigint | string {
  const m = V4.exec(s);
  if (!m) return 'is not an IPv4 or IPv6 address';
  let v = 0n;
  for (const part of m.slice(1)) {
    if (part.length > 1 && part.startsWith('0')) return 'must not have leading zeros in an IPv4 address';
    const n = Number(part);
    if (n > 255) return `has an IPv4 part "${part}" above 255`;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(s: string): bigint | string {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || !ipaddr.IPv6.isValid(s)) return 'is not an IPv4 or IPv6 address';
  let v = 0n;
  for (const b of ipaddr.IPv6.parse(s).toByteArray()) v = (v << 8n) | BigInt(b);
  // Ambiguous between families; the API server rejects it in new objects.
  if (v >> 32n === 0xffffn) return 'is an IPv4-mapped IPv6 address: write the IPv4 form';
  return v;
}

/** Parses `addr/prefix`; returns the reason when it is not a valid CIDR. */
export function parseCidr(text: string): Cidr | { error: string } {
  const slash = text.indexOf('/');
  if (slash === -1) return { error: 'has no prefix length (write e.g. 10.0.0.0/8, or 10.0.0.1/32 for one address)' };
  const a = text.slice(0, slash);
  const p = text.slice(slash + 1);
  const family: 4 | 6 = a.includes(':') ? 6 : 4;
  const addr = family === 4 ? parseV4(a) : parseV6(a);
  if (typeof addr === 'string') return { error: addr };
  const max = family === 4 ? 32 : 128;
  if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return { error: `has an invalid prefix length "${p}" (0-${max} for IPv${family})` };
  const prefix = Number(p);
  const hostBits = BigInt(max - prefix);
  const network = (addr >> hostBits) << hostBits;
  return { family, addr, prefix, network };
}

export function isCidr(c: Cidr | { error: string }): c is Cidr {
  return !('error' in c);
}

/** The canonical text (network address / prefix), e.g. 10.0.0.0/8 for 10.1.2.3/8. */
export function formatCidr(c: Cidr): string {
  const bytes: number[] = [];
  const n = c.family === 4 ? 4 : 16;
  for (let i = n - 1; i >= 0; i--) bytes.push(Number((c.network >> BigInt(8 * i)) & 0xffn));
  const ip = ipaddr.fromByteArray(bytes);
  return `${ip.toString()}/${c.prefix}`;
}

/** Whether `inner` lies inside `outer` (same family, longer or equal prefix, same leading bits). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.prefix < outer.prefix) return false;
  const max = outer.family === 4 ? 32 : 128;
  const shift = BigInt(max - outer.prefix);
  return inner.network >> shift === outer.network >> shift;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}
