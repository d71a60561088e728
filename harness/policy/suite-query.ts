// Suite-level queries for the CLI: pick a step by name or number, name endpoints the way the
// suite does (`ns/name` or a unique name), and explain one cell (a connection or a DNS check).
import type { Explanation } from '../diff/result.js';
import { UsageError } from '../errors.js';
import { dnsNames } from '../matrix/axes.js';
import { parseDestination, parseSource, PatternError, type DestSelector } from '../matrix/pattern.js';
import type { LoadedSuite } from '../suite/load.js';
import { presenceAtStep } from '../suite/presence.js';
import { connectionsIn, type Connections } from './connections.js';
import { evaluateIn, type EvalResult } from './evaluate.js';
import type { Protocol } from './model.js';
import { DNS_PORT, natPathOf, profileForSuite, withIpBlocks, type SimulateOptions } from './simulate.js';
import { evaluateNatted } from './nat.js';
import { gatewayNode, suiteModel } from './suite-model.js';
import { prepare } from './world.js';

/** `--step`: a step name or a 1-based number. Returns the 0-based index. */
export function resolveStep(loaded: LoadedSuite, step: string): number {
  const steps = loaded.suite.steps;
  const byName = steps.findIndex((s) => s.name === step);
  if (byName !== -1) return byName;
  if (/^\d+$/.test(step)) {
    const n = Number(step);
    if (n >= 1 && n <= steps.length) return n - 1;
  }
  throw new UsageError(`no step "${step}" in ${loaded.file}`, { hint: `steps: ${steps.map((s, i) => `${i + 1} ${s.name}`).join(', ')}` });
}

/**
 * Keeps the steps at which the source and the destination exist (suite/presence.ts); throws a
 * UsageError naming the steps where they do when none is left.
 */
export function stepsWhereBothExist(loaded: LoadedSuite, steps: number[], src: string, target: CellTarget): number[] {
  const ids = [...(src.startsWith('external:') ? [] : [src]), ...(target.kind === 'dns' || target.dst.startsWith('external:') ? [] : [target.dst])];
  if (ids.length === 0) return steps;
  const exists = (i: number) => ids.every((id) => presenceAtStep(loaded.suite, i).endpoints.has(id));
  const kept = steps.filter(exists);
  if (kept.length > 0) return kept;
  const where = loaded.suite.steps.map((s, i) => (exists(i) ? `${i + 1} ${s.name}` : '')).filter(Boolean);
  throw new UsageError(`${ids.join(' and ')} ${ids.length > 1 ? 'do not both' : 'does not'} exist at ${steps.length === 1 ? `step ${loaded.suite.steps[steps[0]!]!.name}` : 'any step'} (initially: absent, or deleted by a step)`, {
    hint: where.length > 0 ? `steps where they do: ${where.join(', ')}` : 'no step has both',
  });
}

export type CellTarget =
  | { kind: 'conn'; dst: string; port: number; protocol: Protocol }
  | { kind: 'dns'; name?: string }
  /** Every declared port of a destination. */
  | { kind: 'all-ports'; dst: string };

interface Known {
  id: string;
  name: string;
  ports: { name?: string; port: number; protocol: Protocol }[];
}

function inClusterEndpoints(loaded: LoadedSuite): Known[] {
  const s = loaded.suite;
  return [
    ...s.workloads.map((w) => ({ id: `${w.namespace}/${w.name}`, name: w.name, ports: w.ports })),
    ...s.probes.map((p) => ({ id: `${p.namespace}/${p.name}`, name: p.name, ports: [] })),
  ];
}

function findEndpoint(loaded: LoadedSuite, text: string, side: string): Known {
  const s = loaded.suite;
  if (text.startsWith('external:')) {
    const e = s.externals.find((x) => x.name === text.slice(9));
    if (!e) throw new UsageError(`unknown external "${text.slice(9)}"`, { hint: `externals: ${s.externals.map((x) => x.name).join(', ') || '(none)'}` });
    return { id: `external:${e.name}`, name: e.name, ports: e.ports };
  }
  const all = inClusterEndpoints(loaded);
  const exact = all.find((e) => e.id === text);
  if (exact) return exact;
  const byName = all.filter((e) => e.name === text);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new UsageError(`${side} "${text}" is ambiguous: write ${byName.map((e) => e.id).join(' or ')}`);
  throw new UsageError(`unknown ${side} "${text}"`, { hint: `write <namespace>/<name>; known: ${all.map((e) => e.id).join(', ')}` });
}

/** A reference in the grammar of expectation rules (matrix/pattern.ts); its errors are usage errors naming the flag. */
function parsed<T>(flag: string, text: string, parse: (t: string) => T): T {
  try {
    return parse(text);
  } catch (e) {
    if (e instanceof PatternError) throw new UsageError(`${flag} "${text}": ${e.message}`);
    throw e;
  }
}

/** The text findEndpoint resolves for one endpoint; `*` and `<ns>/*` name several, a usage error here. */
function oneEndpoint(flag: string, text: string, sel: DestSelector, side: string): string {
  if (sel.kind === 'endpoint') return sel.id;
  if (sel.kind === 'name') return sel.name;
  if (sel.kind === 'external') return `external:${sel.name}`;
  const every = sel.kind === 'namespace' ? `every ${side} in namespace ${sel.namespace}` : `every ${side}`;
  throw new UsageError(`${flag} "${text}" names ${every}: name one`, { hint: 'write <namespace>/<name> or a unique <name>' });
}

/** `--from`: a workload or probe, as `ns/name` or a unique name, or `external:<name>` with source: true (the source grammar of expectation rules). */
export function resolveSource(loaded: LoadedSuite, text: string): string {
  const e = findEndpoint(loaded, oneEndpoint('--from', text, parsed('--from', text, parseSource), 'source'), 'source');
  if (e.id.startsWith('external:') && !loaded.suite.externals.some((x) => `external:${x.name}` === e.id && x.source))
    throw new UsageError(`external "${e.name}" is not a source`, { hint: 'set source: true on it (externals[].source)' });
  return e.id;
}

/**
 * `--to`: the destination grammar of expectation rules (matrix/pattern.ts), naming one cell or one
 * destination: `dns`, `dns:<name>` (one of the suite's DNS checks), or `<dst>[:<port>[/<protocol>]]`
 * where dst is `ns/name`, a unique name or `external:<name>`, and port a number or a port name.
 */
export function resolveTarget(loaded: LoadedSuite, text: string): CellTarget {
  const d = parsed('--to', text, parseDestination);
  if (d.to.kind === 'dns') {
    if (d.to.name !== undefined) {
      const names = dnsNames(loaded.suite);
      if (!names.includes(d.to.name)) throw new UsageError(`--to "${text}": "${d.to.name}" is not one of the DNS checks (probe.dnsNames)`, { hint: `DNS checks: ${names.join(', ') || '(none)'}; "dns" alone explains DNS resolution` });
      return { kind: 'dns', name: d.to.name };
    }
    return { kind: 'dns' };
  }
  const dst = findEndpoint(loaded, oneEndpoint('--to', text, d.to, 'destination'), 'destination');
  if (d.ports === undefined) {
    if (d.protocols !== undefined) throw new UsageError(`--to "${text}": a protocol needs a port (write <dst>:<port>/<protocol>)`);
    return { kind: 'all-ports', dst: dst.id };
  }
  if (d.ports.length > 1 || (d.protocols?.length ?? 0) > 1) throw new UsageError(`--to "${text}": name one port and at most one protocol (lists are for expectation rules)`);
  const port = d.ports[0]!;
  const proto = d.protocols?.[0];
  if (typeof port === 'number') {
    // Without a protocol, take the one the destination declares for this port (TCP if none or several).
    const declared = dst.ports.filter((p) => p.port === port);
    const protocol = proto ?? (declared.length === 1 ? declared[0]!.protocol : 'TCP');
    return { kind: 'conn', dst: dst.id, port, protocol };
  }
  const named = dst.ports.filter((p) => p.name === port && (proto === undefined || p.protocol === proto));
  if (named.length === 0) throw new UsageError(`${dst.id} has no port named "${port}"${proto ? ` for ${proto}` : ''}`);
  return { kind: 'conn', dst: dst.id, port: named[0]!.port, protocol: named[0]!.protocol };
}

export interface CellExplanation {
  /** e.g. `develop/frontend -> develop/backend:8080/TCP` or `develop/frontend -> dns` */
  cell: string;
  verdict: EvalResult['verdict'];
  explanation: Explanation;
  /** Set for conn cells. */
  result?: EvalResult;
}

/** Explains connections (one per port for `all-ports`) or the DNS check from `src` at a step. */
export function explainCell(loaded: LoadedSuite, stepIndex: number, src: string, target: CellTarget, opts: SimulateOptions = {}): CellExplanation[] {
  const profile = opts.profile ?? profileForSuite(loaded);
  const { model, dnsPods } = suiteModel(loaded, stepIndex, opts);
  const world = prepare(model, profile);
  if (target.kind === 'dns') {
    const results = dnsPods.map((d) => ({ d, r: evaluateIn(world, { from: src, to: d, ...DNS_PORT }) }));
    const ok = results.find((x) => x.r.verdict === 'allow') ?? results[0]!;
    const details = [`DNS resolution needs ${src} -> ${ok.d}:53/UDP (source egress and CoreDNS ingress)`, ...ok.r.explanation.details];
    if (results.length > 1) details.push(`CoreDNS pods: ${results.map((x) => `${x.d} ${x.r.verdict}`).join(', ')}`);
    return [{ cell: `${src} -> dns${target.name ? `:${target.name}` : ''}`, verdict: ok.r.verdict, explanation: { summary: ok.r.explanation.summary, details }, result: ok.r }];
  }
  const ports =
    target.kind === 'conn'
      ? [{ port: target.port, protocol: target.protocol }]
      : (loaded.suite.workloads.find((w) => `${w.namespace}/${w.name}` === target.dst)?.ports ??
        loaded.suite.externals.find((e) => `external:${e.name}` === target.dst)?.ports ??
        []);
  const nat = natPathOf(loaded, src, target.dst);
  return ports.map((p) => {
    // The same judgement as the simulation: through a node, for every source the backend may see.
    const q = { from: src, to: target.dst, port: p.port, protocol: p.protocol };
    const r = nat ? evaluateNatted(world, { ...q, path: nat, gateway: opts.gateway ?? gatewayNode(loaded.suite) }) : evaluateIn(world, q);
    const cell = { cell: `${src} -> ${target.dst}:${p.port}/${p.protocol}`, verdict: r.verdict, explanation: r.explanation, result: r };
    return src.startsWith('external:') ? withIpBlocks(cell, r, world, src) : cell;
  });
}

/** Every port open from `src` to a destination at a step, with the rules that open each interval. */
export function openPorts(loaded: LoadedSuite, stepIndex: number, src: string, dst: string, opts: SimulateOptions = {}): Connections {
  const profile = opts.profile ?? profileForSuite(loaded);
  const { model } = suiteModel(loaded, stepIndex, opts);
  return connectionsIn(prepare(model, profile), src, dst);
}
