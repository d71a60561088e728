// Pure planning for one step: which cells to probe, from which pod, to which address, and the
// verdict each must show. Cells that cannot be addressed become immediate errors, not denies.
import type { Observation } from '../diff/result.js';
import type { Axes } from '../matrix/axes.js';
import type { ExpectedCell } from '../matrix/expect.js';
import type { Matrix } from '../matrix/matrix.js';
import { cellKey } from '../matrix/matrix.js';
import { probedAs } from '../observe/live-prober.js';
import type { AgentResult } from '../probe/agent-output.js';
import type { SourcePod } from '../probe/prober.js';
import type { PlannedCell } from '../probe/settle.js';
import { routeFor, type Addresses, type Via } from '../probe/targets.js';

export interface StepPlan {
  cells: PlannedCell[];
  /** Cells that could not be planned (no address, no source pod), keyed by cellKey. */
  unplanned: Map<string, string>;
}

export function planStep(
  axes: Axes,
  expected: Matrix<ExpectedCell>,
  sources: Map<string, SourcePod>,
  addresses: Addresses,
  opts: { via: Via; timeoutMs: number },
): StepPlan {
  const dests = new Map(axes.destinations.map((d) => [d.id, d]));
  const cells: PlannedCell[] = [];
  const unplanned = new Map<string, string>();
  for (const { src, col, value } of expected.cells()) {
    if (!value) continue;
    const source = sources.get(src.id);
    if (!source) {
      unplanned.set(cellKey(src.id, col.key), `no running pod for source ${src.id}`);
      continue;
    }
    const r = routeFor(col, col.kind === 'conn' ? dests.get(col.dst) : undefined, opts.via, addresses, opts.timeoutMs, src.sourceVia);
    if ('error' in r) {
      unplanned.set(cellKey(src.id, col.key), r.error);
      continue;
    }
    cells.push({ source, target: r.target, expected: value.verdict, ...(r.path ? { path: r.path } : {}) });
  }
  return { cells, unplanned };
}

export interface KubeTarget {
  kubeconfig?: string;
  context?: string;
}

const shellQuote = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** A command a person can paste to repeat one probe by hand (the kubeconfig of a kind run survives with --keep). */
export function reproCommand(cell: Pick<PlannedCell, 'source' | 'target'>, kube?: KubeTarget): string {
  const ctx = `${kube?.kubeconfig ? ` --kubeconfig ${shellQuote(kube.kubeconfig)}` : ''}${kube?.context ? ` --context ${shellQuote(kube.context)}` : ''}`;
  const t = JSON.stringify([cell.target]);
  // An external source is a container outside the cluster (probe/external-source.ts).
  if (cell.source.namespace === '') return `docker exec ${cell.source.pod} /bin/nph-agent probe --targets '${t}'`;
  return `kubectl${ctx} exec -n ${cell.source.namespace} ${cell.source.pod} -c ${cell.source.container} -- /bin/nph-agent probe --targets '${t}'`;
}

/**
 * The repro command for what produced a result: the pod and address it was really probed from and
 * at (a replacement pod, a re-learnt address; observe/live-prober.ts), saying which pod it replaced.
 */
export function reproFor(planned: PlannedCell, result: object, kube?: KubeTarget): string {
  const as = probedAs(result);
  if (!as) return reproCommand(planned, kube);
  const cmd = reproCommand(as, kube);
  return as.replacedPod ? `${cmd}  # pod ${as.source.pod} replaced ${as.replacedPod} during the run` : cmd;
}

export function observationFrom(
  planned: PlannedCell,
  outcome: { result: Omit<AgentResult, 'id'>; attempts: number },
  kube?: KubeTarget,
): Observation {
  const v = outcome.result.class;
  const verdict = v === 'connected' ? 'allow' : v === 'refused' || v === 'timeout' || v === 'dns-failure' ? 'deny' : undefined;
  return {
    class: v,
    ...(verdict ? { verdict } : {}),
    attempts: outcome.attempts,
    ...(outcome.result.latencyMs !== undefined ? { latencyMs: Math.round(outcome.result.latencyMs * 10) / 10 } : {}),
    ...(outcome.result.detail ? { detail: outcome.result.detail } : {}),
    ...(planned.path ? { path: { ...planned.path } } : {}),
    repro: reproFor(planned, outcome.result, kube),
  };
}

