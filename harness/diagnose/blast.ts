// Blast radius: every other cell a policy change opens (or closes), from the engine. A cell is a
// source pod, a destination pod and one of its declared ports; only cells whose source or
// destination lives in a namespace the change touches can move. Pure.
import { evaluateIn } from '../policy/evaluate.js';
import type { ClusterModel, PodModel, Protocol } from '../policy/model.js';
import { prepare, type World } from '../policy/world.js';
import type { CniProfile } from '../policy/profiles.js';

export interface Cell {
  from: string;
  to: string;
  port: number;
  protocol: Protocol;
}

export const cellKey = (c: Cell): string => `${c.from} -> ${c.to}:${c.port}/${c.protocol}`;
const nsOf = (id: string): string => id.split('/')[0] ?? '';

export interface BlastRadius {
  /** The cells the change is for. */
  wanted: Cell[];
  /** Other cells whose verdict the change flips (opened for --want allow, closed for --want deny). */
  others: Cell[];
  /** Of `others`, those with an end outside the flow's two namespaces. */
  otherNamespaces: Cell[];
  /** Cells judged (both worlds). */
  judged: number;
}

/** Cells whose source or destination is in `namespaces`, over pods with an address, per declared port (plus extra ports). */
export function cellsTouching(model: ClusterModel, namespaces: ReadonlySet<string>, extra: Cell[] = []): Cell[] {
  const pods = model.pods.filter((p) => p.ip !== undefined && !p.hostNetwork);
  const ports = (p: PodModel) => p.ports.map((x) => ({ port: x.port, protocol: x.protocol }));
  const out = new Map<string, Cell>();
  for (const c of extra) out.set(cellKey(c), c);
  for (const s of pods) {
    for (const d of pods) {
      if (s.id === d.id || (!namespaces.has(s.namespace) && !namespaces.has(d.namespace))) continue;
      for (const p of ports(d)) {
        const c = { from: s.id, to: d.id, ...p };
        out.set(cellKey(c), c);
      }
    }
  }
  return [...out.values()];
}

export function verdictIn(world: World, c: Cell): string {
  return evaluateIn(world, { from: c.from, to: c.to, port: c.port, protocol: c.protocol }).verdict;
}

/**
 * The cells that flip from `from` to the opposite verdict between two models (before, after), other
 * than the wanted ones. `flip`: 'allow' counts cells newly allowed, 'deny' cells newly denied.
 */
export function blastRadius(before: ClusterModel, after: ClusterModel, profile: CniProfile, wanted: Cell[], namespaces: ReadonlySet<string>, flip: 'allow' | 'deny'): BlastRadius {
  const wb = prepare(before, profile);
  const wa = prepare(after, profile);
  const cells = cellsTouching(after, namespaces, wanted);
  const wantedKeys = new Set(wanted.map(cellKey));
  const flowNs = new Set(wanted.flatMap((c) => [nsOf(c.from), nsOf(c.to)]));
  const others: Cell[] = [];
  for (const c of cells) {
    if (wantedKeys.has(cellKey(c))) continue;
    const b = verdictIn(wb, c);
    const a = verdictIn(wa, c);
    if (a === flip && b !== flip) others.push(c);
  }
  return { wanted, others, otherNamespaces: others.filter((c) => !flowNs.has(nsOf(c.from)) || !flowNs.has(nsOf(c.to))), judged: cells.length };
}
