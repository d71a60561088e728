// Counting for `npm run soak -- --chaos`: per fault kind, the runs it hit, the cells it turned into
// errors, wrong cells (must be 0), runs that died, and the time from the fault's end until a step
// fully matched again; plus leaked namespaces, containers and clusters (must be 0).
import type { Cluster } from '../harness/cluster/provider.js';
import { execaRunner } from '../harness/cluster/command.js';
import { verdictOf, type RunResult } from '../harness/diff/result.js';
import { summarize } from '../harness/diff/three-way.js';
import type { Injection } from './chaos.js';

interface KindTally {
  runs: number;
  errors: number;
  wrong: number;
  distrusted: number;
  execFailures: number;
  failedRuns: number;
  recoverMs: number[];
}

const empty = (): KindTally => ({ runs: 0, errors: 0, wrong: 0, distrusted: 0, execFailures: 0, failedRuns: 0, recoverMs: [] });

/** Harness namespaces still on the cluster after a run (waits up to 2 min for deletions to finish). */
export async function leakedNamespaces(cluster: Cluster, timeoutMs = 120_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const left = (await cluster.client.list('v1', 'Namespace', { labelSelector: 'app.kubernetes.io/managed-by=netpol-harness' }).catch(() => [])).length;
    if (left === 0 || Date.now() >= end) return left;
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** External containers of this cluster still on the engine after a run. */
export async function leakedContainers(clusterName: string): Promise<number> {
  const r = await execaRunner.run(process.env.NPH_DOCKER ?? 'docker', ['ps', '-aq', '--filter', 'label=netpol-harness.external', '--filter', `label=netpol-harness.cluster=${clusterName}`]);
  return r.stdout.split('\n').filter(Boolean).length;
}

export class ChaosTally {
  private readonly byKind = new Map<string, KindTally>();
  private readonly leaked = { namespaces: 0, containers: 0 };
  private last = '';

  add(injection: Injection | undefined, run: RunResult | undefined, leaks: { namespaces: number; containers: number }, failure: unknown): void {
    const kind = injection?.kind ?? 'none';
    const t = this.byKind.get(kind) ?? empty();
    this.byKind.set(kind, t);
    t.runs++;
    if (failure) t.failedRuns++;
    this.leaked.namespaces += leaks.namespaces;
    this.leaked.containers += leaks.containers;
    let errors = 0;
    let wrong = 0;
    let recover: number | undefined;
    const restored = injection?.restoredAt ?? injection?.at;
    for (const st of run?.steps ?? []) {
      for (const c of st.cells) {
        const v = c.observed ? verdictOf(c.observed.class) : undefined;
        if (v === undefined) errors++;
        else if (v !== c.expected) wrong++;
      }
      t.distrusted += st.infrastructure?.distrusted ?? 0;
      t.execFailures += Object.values(st.infrastructure?.execFailures ?? {}).reduce((a, b) => a + b, 0);
      const endMs = st.startedAt !== undefined && st.durationMs !== undefined ? Date.parse(st.startedAt) + st.durationMs : undefined;
      if (recover === undefined && restored !== undefined && endMs !== undefined && endMs >= restored && summarize(st).passed) recover = endMs - restored;
    }
    t.errors += errors;
    t.wrong += wrong;
    if (recover !== undefined) t.recoverMs.push(recover);
    this.last = `chaos ${kind}${injection ? ` (${injection.target}, step ${injection.step})` : ''}: errors ${errors}, wrong ${wrong}${recover !== undefined ? `, matched again ${(recover / 1000).toFixed(1)} s after the fault ended` : ''}${failure ? `, run failed: ${failure instanceof Error ? failure.message.split('\n')[0] : 'unknown error'}` : ''}, leaked namespaces ${leaks.namespaces}, containers ${leaks.containers}`;
  }

  lastLine(): string {
    return this.last;
  }

  leaks(clusters: number): number {
    return this.leaked.namespaces + this.leaked.containers + clusters;
  }

  report(clusters: number): string[] {
    const lines = ['', 'chaos: per fault kind'];
    for (const [kind, t] of [...this.byKind].sort()) {
      const rec = [...t.recoverMs].sort((a, b) => a - b);
      const med = rec.length ? rec[Math.floor(rec.length / 2)]! : undefined;
      lines.push(
        `  ${kind.padEnd(10)} runs ${t.runs}, error cells ${t.errors}, wrong ${t.wrong}, distrusted results ${t.distrusted}, exec failures ${t.execFailures}, failed runs ${t.failedRuns}` +
          (med !== undefined ? `, recovered (a step matched again) median ${(med / 1000).toFixed(1)} s, max ${((rec.at(-1) ?? 0) / 1000).toFixed(1)} s` : ''),
      );
    }
    const wrong = [...this.byKind.values()].reduce((n, t) => n + t.wrong, 0);
    lines.push(`chaos: wrong ${wrong} (must be 0), leaked namespaces ${this.leaked.namespaces}, containers ${this.leaked.containers}, clusters ${clusters} (must be 0)`);
    return lines;
  }
}
