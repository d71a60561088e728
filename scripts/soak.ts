// `npm run soak -- [--runs 20] [--suite suites/zero-trust/suite.yaml] [--cluster-name nph-soak] [--chaos [--seed 1]] [--report-dir DIR]`
// Runs a suite N times on one kind cluster (each run deploys, applies every step, probes, cleans up)
// and counts wrong cells (observed verdict != expected) and error cells per run.
// Target: 0 wrong cells over all runs. Exit 1 when any cell was wrong or an error.
// --chaos: once per run, while a seeded random step probes, a seeded random fault lands on the
// cluster (scripts/chaos.ts). Errors are then expected (counted per fault kind, with the time to
// recover); wrong cells and leaked namespaces, containers or clusters must stay 0 (exit 1 otherwise).
import { parseArgs } from 'node:util';
import { summarizeRun } from '../harness/report/index.js';
import { writeReports } from '../harness/report/files.js';
import { installCni } from '../harness/cluster/cni/index.js';
import { readImagesEnv } from '../harness/cluster/paths.js';
import { createProgress } from '../harness/cluster/progress.js';
import { createCluster } from '../harness/cluster/provider.js';
import { execaRunner } from '../harness/cluster/command.js';
import { kindClusters } from '../harness/cluster/providers/kind.js';
import { loadSuite } from '../harness/suite/load.js';
import { HarnessSession, effectiveCni } from '../harness/run/session.js';
import { rng } from '../bench/synthetic.js';
import { Chaos, type FaultKind, type Injection } from './chaos.js';
import { ChaosTally, leakedContainers, leakedNamespaces } from './chaos-tally.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '20' },
    suite: { type: 'string', default: 'suites/zero-trust/suite.yaml' },
    'cluster-name': { type: 'string', default: 'nph-soak' },
    keep: { type: 'boolean', default: false },
    chaos: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    // Every run that was not clean keeps its reports here (run-NN/), so a wrong cell can be read cell by cell.
    'report-dir': { type: 'string' },
  },
});
const runs = Number(values.runs);
const name = values['cluster-name'];
const quiet = createProgress({ stream: { write: () => true }, live: false });
const totals = { wrong: 0, errors: 0, cells: 0, attempts: 0, retried: 0 };
const enforce: number[] = [];
const t0 = performance.now();
// One cluster for every run: created (or reused) here and kept across runs; each run then deploys,
// steps, probes and cleans up its own namespaces, policies and externals on it.
const { suite } = await loadSuite(values.suite);
const spec = { ...suite.cluster, name, cni: effectiveCni(suite.cluster.cni) };
const cluster = await createCluster(spec, { name, reuse: true, keep: true, progress: createProgress({ stream: process.stderr, live: false }) });
await installCni(cluster, spec.cni, { progress: quiet });
const chaos = values.chaos ? new Chaos(cluster, rng(Number(values.seed)), (l) => console.log(`  ${l}`)) : undefined;
const tally = new ChaosTally();
for (let i = 1; i <= runs; i++) {
  const started = performance.now();
  const planned: { kind: FaultKind; step: string } | undefined = chaos?.plan(suite.steps.map((st) => st.name));
  let injection: Injection | undefined;
  let session: HarnessSession | undefined;
  let failure: unknown;
  try {
    session = await HarnessSession.start(values.suite, {
      cluster: { name },
      reuse: true,
      progress: quiet,
      ...(planned ? { onProbing: (step: string) => (step === planned.step ? chaos!.inject(planned.kind, step) : undefined) } : {}),
    });
    await session.runAll();
  } catch (e) {
    // Under chaos a run may die (an API call past its deadline): counted, cleaned up, and the soak goes on.
    if (!chaos) throw e;
    failure = e;
  } finally {
    // Undo the fault first: cleanup against a paused API server would only wait out its deadlines.
    injection = await chaos?.restore();
    await session?.stop();
  }
  if (chaos) {
    const leaks = { namespaces: await leakedNamespaces(cluster), containers: await leakedContainers(name) };
    tally.add(injection, session?.result, leaks, failure);
    console.log(`  ${tally.lastLine()}`);
  }
  if (!session) continue;
  const s = summarizeRun(session.result);
  const wrong = session.result.steps.flatMap((st) => st.cells.filter((c) => c.observed?.verdict !== undefined && c.observed.verdict !== c.expected));
  const errors = session.result.steps.flatMap((st) => st.cells.filter((c) => c.observed?.verdict === undefined));
  const retried = session.result.steps.flatMap((st) => st.cells.filter((c) => (c.observed?.attempts ?? 0) > 1)).length;
  if (values['report-dir'] && (wrong.length || errors.length)) {
    await writeReports(session.result, `${values['report-dir']}/run-${String(i).padStart(2, '0')}`).catch((e: unknown) => console.log(`  reports not written: ${String(e)}`));
  }
  totals.wrong += wrong.length;
  totals.errors += errors.length;
  totals.cells += session.result.steps.reduce((n, st) => n + st.cells.length, 0);
  totals.attempts += session.result.steps.reduce((n, st) => n + (st.attempts ?? 0), 0);
  totals.retried += retried;
  for (const st of session.result.steps) if (st.timeToEnforceMs !== undefined) enforce.push(st.timeToEnforceMs);
  console.log(
    `run ${String(i).padStart(2)}/${runs}: ${s.passed ? 'PASS' : 'FAIL'}, wrong ${wrong.length}, errors ${errors.length}, retried cells ${retried}, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s` +
      (wrong.length ? `\n    ${wrong.map((c) => `${c.src} -> ${c.col}: expected ${c.expected}, observed ${c.observed?.class}`).join('\n    ')}` : ''),
  );
}
enforce.sort((a, b) => a - b);
const pct = (p: number) => enforce[Math.min(enforce.length - 1, Math.floor((p / 100) * enforce.length))] ?? 0;
console.log(
  `\nsoak: ${runs} runs, ${totals.cells} cells, wrong ${totals.wrong}, errors ${totals.errors}, cells needing a retry ${totals.retried}, ` +
    `probe attempts ${totals.attempts}, time to enforce p50 ${(pct(50) / 1000).toFixed(1)} s, p95 ${(pct(95) / 1000).toFixed(1)} s, max ${((enforce.at(-1) ?? 0) / 1000).toFixed(1)} s, ` +
    `total ${((performance.now() - t0) / 1000 / 60).toFixed(1)} min`,
);
if (!values.keep && cluster.createdByUs) await execaRunner.run(readImagesEnv().NPH_KIND ?? 'kind', ['delete', 'cluster', '--name', name]);
if (chaos) {
  const clusters = !values.keep && cluster.createdByUs && (await kindClusters(execaRunner, readImagesEnv().NPH_KIND ?? 'kind')).includes(name) ? 1 : 0;
  for (const line of tally.report(clusters)) console.log(line);
  process.exitCode = totals.wrong > 0 || tally.leaks(clusters) > 0 ? 1 : 0;
} else {
  process.exitCode = totals.wrong + totals.errors > 0 ? 1 : 0;
}
