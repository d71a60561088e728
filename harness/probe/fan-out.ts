// `sourcePods: all`: every probe of a source runs from each of its pods. A cell shows what all
// pods saw; when they disagree the cell is an error naming each pod's outcome, never a verdict
// (one pod allowed and another denied means the pods are not alike, which the matrix cannot show).
import { cellKey } from '../matrix/matrix.js';
import type { AgentResult } from './agent-output.js';
import type { Prober, ProbeRequest, RoundResults, SourcePod, RoundOptions } from './prober.js';

/** Combines the per-pod results of one cell. Pure. */
export function combinePods(perPod: { pod: string; result: AgentResult }[]): AgentResult {
  const [first] = perPod;
  if (!first) throw new Error('combinePods needs at least one result');
  if (perPod.every((p) => p.result.class === first.result.class)) {
    return perPod.length === 1 ? first.result : { ...first.result, detail: `all ${perPod.length} pods: ${first.result.detail ?? first.result.class}` };
  }
  return { id: first.result.id, class: 'error', detail: `the pods disagree: ${perPod.map((p) => `${p.pod} ${p.result.class}`).join(', ')}` };
}

export class FanOutProber implements Prober {
  constructor(
    private readonly inner: Prober,
    /** Endpoint id -> every pod to probe from (the request's own source pod among them). */
    private readonly pods: ReadonlyMap<string, SourcePod[]>,
  ) {}

  get execCount(): number {
    return this.inner.execCount;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    // Each pod's probes are a request of their own, under a per-pod endpoint key, then folded back.
    const expanded: ProbeRequest[] = [];
    const fanned = new Map<string, SourcePod[]>();
    for (const r of requests) {
      const pods = this.pods.get(r.source.endpoint);
      if (!pods || pods.length < 2) {
        expanded.push(r);
        continue;
      }
      fanned.set(r.source.endpoint, pods);
      for (const p of pods) expanded.push({ source: { ...p, endpoint: `${r.source.endpoint}@${p.pod}` }, targets: r.targets });
    }
    const raw = await this.inner.round(expanded, opts);
    const out: RoundResults = new Map();
    for (const r of requests) {
      const pods = fanned.get(r.source.endpoint);
      for (const t of r.targets) {
        const key = cellKey(r.source.endpoint, t.id);
        if (!pods) {
          const v = raw.get(key);
          if (v) out.set(key, v);
          continue;
        }
        const perPod = pods.map((p) => ({ pod: p.pod, result: raw.get(cellKey(`${r.source.endpoint}@${p.pod}`, t.id)) ?? { id: t.id, class: 'error' as const, detail: 'no result' } }));
        out.set(key, combinePods(perPod));
      }
    }
    return out;
  }
}
