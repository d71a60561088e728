// Probes follow pods that were replaced during a step. A destination addressed by a pod IP the plan
// learnt earlier is addressed at a live Ready pod of the same endpoint instead (the watcher's last
// reading says which), and a source pod that went away is probed from the replacement the exec
// retry path found. Every result carries the pod and target that produced it, so the report's
// repro command names the pod that answered, not the one planned.
import { cellKey } from '../matrix/matrix.js';
import type { AgentResult } from '../probe/agent-output.js';
import type { ProbeRequest, Prober, RoundResults, SourcePod, RoundOptions } from '../probe/prober.js';
import type { AgentTarget } from '../probe/targets.js';
import { destinationOf } from './guard.js';
import type { Snapshot, WatchTarget } from './snapshot.js';

/** The source pod and target a result actually came from (after any re-addressing). */
export interface ProbedAs {
  source: SourcePod;
  target: AgentTarget;
  /** The planned source pod, when the probe ran from its replacement. */
  replacedPod?: string;
}

export type TaggedResult = AgentResult & { probedAs?: ProbedAs };

const podKey = (s: Pick<SourcePod, 'namespace' | 'pod'>): string => `${s.namespace}/${s.pod}`;

/**
 * The address to probe instead of `host`: a live Ready pod IP of the destination when `host` is a
 * pod IP learnt earlier that no Ready pod holds any more. Undefined when `host` is fine as it is
 * (or nothing live can stand in: the guard then reports the stale address). Pure.
 */
export function liveAddress(snap: Snapshot | undefined, target: WatchTarget | undefined, host: string | undefined): string | undefined {
  if (!snap || !target || !host || !target.addresses?.includes(host)) return undefined;
  const live = [...snap.pods.values()].filter((p) => p.endpoints.includes(target.endpoint) && p.ready && !p.terminating && p.ip !== '');
  if (live.some((p) => p.ip === host)) return undefined;
  return live.sort((a, b) => a.name.localeCompare(b.name))[0]?.ip;
}

export interface LiveProberOptions {
  /** The watcher's latest reading (it polls every few seconds and around each round). */
  snapshot: () => Snapshot | undefined;
  /** The watch target of a destination endpoint (its learnt addresses). */
  target: (endpoint: string) => WatchTarget | undefined;
}

export class LiveProber implements Prober {
  /** Replacement source pods by the replaced pod's key. */
  private readonly moved = new Map<string, SourcePod>();
  /** Destinations re-addressed so far (`endpoint: old -> new`), for the progress line. */
  readonly readdressed = new Set<string>();

  constructor(
    private readonly inner: Prober,
    private readonly opts: LiveProberOptions,
  ) {}

  get execCount(): number {
    return this.inner.execCount;
  }

  /** A source pod was replaced (the exec retry path found `now` running): later rounds use it. */
  replaced(old: SourcePod, now: SourcePod): void {
    if (podKey(old) !== podKey(now)) this.moved.set(podKey(old), now);
  }

  /** The pod a planned source stands for now (following replacements of replacements). */
  current(src: SourcePod): SourcePod {
    let s = src;
    for (let i = 0; i < 16; i++) {
      const next = this.moved.get(podKey(s));
      if (!next) break;
      s = next;
    }
    return s;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    const snap = this.opts.snapshot();
    const sent = requests.map((r) => ({ source: this.current(r.source), targets: r.targets.map((t) => this.readdress(snap, t)) }));
    const results = await this.inner.round(sent, opts);
    for (const [i, req] of requests.entries()) {
      // The exec retry path may have moved to a replacement during this round.
      const by = this.current(sent[i]!.source);
      for (const t of sent[i]!.targets) {
        const key = cellKey(req.source.endpoint, t.id);
        const r = results.get(key);
        if (!r) continue;
        const probedAs: ProbedAs = { source: by, target: t, ...(by.pod !== req.source.pod ? { replacedPod: req.source.pod } : {}) };
        const tagged: TaggedResult = { ...r, probedAs };
        results.set(key, tagged);
      }
    }
    return results;
  }

  private readdress(snap: Snapshot | undefined, t: AgentTarget): AgentTarget {
    const dst = destinationOf(t);
    const ip = dst !== undefined ? liveAddress(snap, this.opts.target(dst), t.host) : undefined;
    if (ip === undefined) return t;
    this.readdressed.add(`${dst}: ${t.host} -> ${ip}`);
    return { ...t, host: ip };
  }
}

/** What produced a result, when a LiveProber tagged it. */
export function probedAs(r: object): ProbedAs | undefined {
  return (r as Partial<TaggedResult>).probedAs;
}
