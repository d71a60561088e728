// Which rules may contain a given rule, without comparing it with every rule (NPH014 on thousands
// of policies selecting the same pods was quadratic). A rule A contains B when A has every peer
// (or, for each peer of B, a peer selecting at least as much) and, for each port entry of B, an
// entry covering it. The index answers per peer and per port entry of B, then keeps the smallest
// answer: a superset of the containing rules, checked one by one by the caller (ruleContains).
import type { CompiledPeer, CompiledRule } from '../compile.js';
import type { PortEntry } from '../ports.js';
import { selectorKey } from '../selectors.js';
import type { LabelSelector } from '../types.js';

/** Subsets of a selector's requirements are enumerated up to this many requirements (2^n lookups). */
const MAX_SUBSET_REQUIREMENTS = 10;

/** A selector's requirements as `selectorKey` writes them: deduplicated and sorted. */
export const requirementKeys = (sel: LabelSelector | undefined): string[] => selectorKey(sel).split('\u0002').filter(Boolean);

/** Every subset of sorted keys, each joined like selectorKey (so it equals the key of a selector with exactly those requirements). */
function subsetKeys(keys: readonly string[]): string[] {
  let out = [''];
  for (const k of keys) out = [...out, ...out.map((s) => (s === '' ? k : `${s}\u0002${k}`))];
  return out;
}

const BITS = { 4: 32, 6: 128 } as const;

/** The CIDR blocks containing [lo, hi] (which is itself an aligned block when it came from a CIDR). */
function supernets(family: 4 | 6, lo: bigint): string[] {
  const out: string[] = [];
  const bits = BITS[family];
  for (let host = 0; host <= bits; host++) {
    const h = BigInt(host);
    const net = (lo >> h) << h;
    out.push(`${family}|${net}|${net + (1n << h) - 1n}`);
  }
  return out;
}

const isAligned = (lo: bigint, hi: bigint): boolean => {
  const span = hi - lo + 1n;
  return span > 0n && (span & (span - 1n)) === 0n && lo % span === 0n;
};

class Lists {
  private readonly map = new Map<string, number[]>();
  add(key: string, pos: number): void {
    const l = this.map.get(key);
    if (l) addLast(l, pos);
    else this.map.set(key, [pos]);
  }
  get(key: string): readonly number[] {
    return this.map.get(key) ?? [];
  }
}

/** Positions arrive in ascending order; a rule with two entries in one list is listed once. */
function addLast(l: number[], pos: number): void {
  if (l[l.length - 1] !== pos) l.push(pos);
}

const SEP = '\u0003';

/** One direction's rules, listed under what a containing rule must have. */
class DirectionIndex {
  readonly all: number[] = [];
  readonly everyPeer: number[] = [];
  readonly everyPort: number[] = [];
  /** Selector peers by `none<SEP><pod key>` (no namespaceSelector) or `ns<SEP><ns key><SEP><pod key>`. */
  private readonly selectors = new Lists();
  private readonly selectorRules: number[] = [];
  /** ipBlock peers without `except`, by block `family|lo|hi`. */
  private readonly blocks = new Lists();
  /** ipBlock peers whose range is not a CIDR block (never from parseCidr; kept so the index stays exact). */
  private readonly oddBlocks: number[] = [];
  /** Port entries: `protocol|P` (any port), `port|P|n` (one port), `named|P|name`; ranges apart. */
  private readonly ports = new Lists();
  private readonly ranges: { protocol: string; lo: number; hi: number; pos: number }[] = [];

  addRule(r: CompiledRule, pos: number): void {
    this.all.push(pos);
    if (r.peers === 'all') this.everyPeer.push(pos);
    else for (const p of r.peers) this.addPeer(p, pos);
    for (const e of r.ports) this.addPort(e, pos);
  }

  private addPeer(p: CompiledPeer, pos: number): void {
    if (p.ipBlock) {
      // A block with exceptions contains no peer (peerContains).
      if (p.ipBlock.except.length > 0) return;
      const { family, lo, hi } = p.ipBlock.cidr;
      if (isAligned(lo, hi)) this.blocks.add(`${family}|${lo}|${hi}`, pos);
      else addLast(this.oddBlocks, pos);
      return;
    }
    const ns = p.namespaceSelector === undefined ? 'none' : `ns${SEP}${selectorKey(p.namespaceSelector)}`;
    this.selectors.add(`${ns}${SEP}${selectorKey(p.podSelector)}`, pos);
    addLast(this.selectorRules, pos);
  }

  private addPort(e: PortEntry, pos: number): void {
    if (e.kind === 'all') addLast(this.everyPort, pos);
    else if (e.kind === 'protocol') this.ports.add(`protocol|${e.protocol}`, pos);
    else if (e.kind === 'named') this.ports.add(`named|${e.protocol}|${e.name}`, pos);
    else if (e.lo === e.hi) this.ports.add(`port|${e.protocol}|${e.lo}`, pos);
    else this.ranges.push({ protocol: e.protocol, lo: e.lo, hi: e.hi, pos });
  }

  /** Rules with a peer that may contain `q` (or every peer), as lists to merge. */
  peerCandidates(q: CompiledPeer): (readonly number[])[] {
    const out: (readonly number[])[] = [this.everyPeer];
    if (q.ipBlock) {
      const { family, lo } = q.ipBlock.cidr;
      for (const k of supernets(family, lo)) out.push(this.blocks.get(k));
      out.push(this.oddBlocks);
      return out;
    }
    const pod = requirementKeys(q.podSelector);
    const ns = q.namespaceSelector === undefined ? [] : requirementKeys(q.namespaceSelector);
    if (pod.length + ns.length > MAX_SUBSET_REQUIREMENTS) return [...out, this.selectorRules];
    const pods = subsetKeys(pod);
    // Without a namespaceSelector, q is in the policy's namespace: contained by peers without one, or with an empty one.
    const nss = q.namespaceSelector === undefined ? ['none', `ns${SEP}`] : subsetKeys(ns).map((k) => `ns${SEP}${k}`);
    for (const n of nss) for (const p of pods) out.push(this.selectors.get(`${n}${SEP}${p}`));
    return out;
  }

  /** Rules with a port entry that may cover `e`, as lists to merge; undefined when they would be `limit` or more. */
  portCandidates(e: PortEntry, limit: number): (readonly number[])[] | undefined {
    if (e.kind === 'all') return [this.everyPort];
    const out: (readonly number[])[] = [this.everyPort, this.ports.get(`protocol|${e.protocol}`)];
    if (e.kind === 'named') out.push(this.ports.get(`named|${e.protocol}|${e.name}`));
    else if (e.kind === 'range') {
      if (e.lo === e.hi) out.push(this.ports.get(`port|${e.protocol}|${e.lo}`));
      // Ranges are scanned, so only when this entry could still give the smallest list.
      if (size(out) >= limit) return undefined;
      out.push(this.ranges.filter((x) => x.protocol === e.protocol && x.lo <= e.lo && x.hi >= e.hi).map((x) => x.pos));
    }
    return out;
  }
}

const size = (lists: readonly (readonly number[])[]): number => lists.reduce((n, l) => n + l.length, 0);

export class ContainmentIndex {
  private readonly directions = new Map<string, DirectionIndex>();

  /** `rules[i]` is candidate position i. */
  constructor(rules: readonly CompiledRule[]) {
    rules.forEach((r, pos) => {
      let d = this.directions.get(r.direction);
      if (!d) this.directions.set(r.direction, (d = new DirectionIndex()));
      d.addRule(r, pos);
    });
  }

  /** Positions, ascending and distinct, of every rule that may contain `b` (all that do, and maybe some that do not). */
  candidates(b: CompiledRule): number[] {
    const d = this.directions.get(b.direction);
    if (!d) return [];
    let best: (readonly number[])[] = [d.all];
    const consider = (lists: (readonly number[])[] | undefined): void => {
      if (lists && size(lists) < size(best)) best = lists;
    };
    if (b.peers === 'all') consider([d.everyPeer]);
    else for (const q of b.peers) consider(d.peerCandidates(q));
    for (const e of b.ports) consider(d.portCandidates(e, size(best)));
    return merge(best);
  }
}

function merge(lists: readonly (readonly number[])[]): number[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 1) return [...nonEmpty[0]!];
  return [...new Set(nonEmpty.flat())].sort((a, b) => a - b);
}
