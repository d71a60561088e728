// `npm run bench:engine`: the policy engine on synthetic clusters.
//   (a) 1,000 pods (1,000 workloads) in 10 namespaces, 200 policies
//   (b) 10,000 pods (1,000 workloads x 10 replicas) in 50 namespaces, 2,000 policies
// Each case runs in its own process so peak RSS is the case's own. It computes the full
// workload-level matrix (every workload to every workload on one port set), materialises it,
// spot-checks cells against the per-connection evaluator, and prints wall time and peak RSS.
// Target for (b): <= 5 s and <= 1 GB.
import { execFileSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { compilePolicies } from '../harness/policy/compile.js';
import { evaluateIn } from '../harness/policy/evaluate.js';
import { computeReachability, type CellVerdict, type PortSpec } from '../harness/policy/reach.js';
import { calico } from '../harness/policy/profiles.js';
import { prepare } from '../harness/policy/world.js';
import { synthesize, type SyntheticSpec } from './synthetic.js';

const CASES: Record<string, SyntheticSpec & { label: string }> = {
  a: { label: '(a) 1,000 pods, 200 policies', namespaces: 10, workloads: 1000, replicas: 1, policies: 200 },
  b: { label: '(b) 10,000 pods (1,000 workloads), 50 namespaces, 2,000 policies', namespaces: 50, workloads: 1000, replicas: 10, policies: 2000 },
};
const PORTS: PortSpec[] = [
  { port: 8080, protocol: 'TCP' },
  { port: 9090, protocol: 'TCP' },
  { port: 53, protocol: 'UDP' },
];
const SPOT_CHECKS = 2000;

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

function runCase(name: string): void {
  const spec = CASES[name]!;
  const t0 = performance.now();
  const syn = synthesize(spec);
  const tGen = performance.now() - t0;
  const allPods = syn.model.pods.map((p) => p.id);

  const t1 = performance.now();
  // Every pod takes part (the class engine collapses replicas); the matrix is read per workload.
  const m = computeReachability(syn.model, { sources: allPods, destinations: allPods, ports: PORTS }, calico);
  const index = new Map(allPods.map((id, i) => [id, i]));
  const W = syn.replicas.length;
  // Workload-level cells: allow/deny when all replicas agree, mixed otherwise.
  const srcClasses = syn.replicas.map((ids) => [...new Set(ids.map((id) => m.sourceClass(index.get(id)!)))]);
  const dstClasses = syn.replicas.map((ids) => [...new Set(ids.map((id) => m.destinationClass(index.get(id)!)))]);
  const dense = new Uint8Array(W * W * PORTS.length);
  let allow = 0;
  let mixed = 0;
  for (let s = 0; s < W; s++) {
    for (let d = 0; d < W; d++) {
      for (let p = 0; p < PORTS.length; p++) {
        let v: CellVerdict | 'mixed' | undefined;
        if (s === d) v = 'allow';
        else {
          for (const sc of srcClasses[s]!) for (const dc of dstClasses[d]!) {
            const x = m.classCell(sc, dc, p);
            v = v === undefined || v === x ? x : 'mixed';
          }
        }
        dense[(s * W + d) * PORTS.length + p] = v === 'allow' ? 1 : v === 'mixed' ? 3 : 0;
        if (v === 'allow') allow++;
        if (v === 'mixed') mixed++;
      }
    }
  }
  const tEngine = performance.now() - t1;
  // Honest counts: every generated policy must be one the API server accepts, and the engine must
  // have used them all (an invalid one would be dropped and the case would measure fewer).
  const { rejected } = compilePolicies(syn.model.policies);
  for (const x of rejected.slice(0, 5)) console.error(`  invalid synthetic policy ${x.ref}: ${x.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
  const dropped = syn.model.policies.length - m.stats.policies;

  // Spot-check against the evaluator (a different implementation of the same semantics).
  const world = prepare(syn.model, calico);
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let disagreements = 0;
  const verify = (s: number, d: number, p: number): void => {
    const e = evaluateIn(world, { from: allPods[s]!, to: allPods[d]!, ...PORTS[p]! });
    if (e.verdict !== m.at(s, d, p)) disagreements++;
  };
  // Half random cells (mostly denied under default deny), half among the allowed workload cells.
  for (let k = 0; k < SPOT_CHECKS / 2; k++) verify(rand(allPods.length), rand(allPods.length), rand(PORTS.length));
  const allowed: number[] = [];
  dense.forEach((v, i) => v === 1 && allowed.push(i));
  for (let k = 0; k < SPOT_CHECKS / 2 && allowed.length > 0; k++) {
    const i = allowed[rand(allowed.length)]!;
    const p = i % PORTS.length;
    const sd = (i - p) / PORTS.length;
    const s = Math.floor(sd / W);
    const d = sd % W;
    const sr = syn.replicas[s]!;
    const dr = syn.replicas[d]!;
    verify(index.get(sr[rand(sr.length)]!)!, index.get(dr[rand(dr.length)]!)!, p);
  }
  const rss = process.resourceUsage().maxRSS;
  const cells = W * W * PORTS.length;
  console.log(`${spec.label}`);
  console.log(`  model: ${syn.model.pods.length} pods, ${W} workloads, ${syn.model.policies.length} policies (generated in ${tGen.toFixed(0)} ms)`);
  console.log(`  engine: ${m.stats.classes} classes, ${m.stats.egressSignatures} egress signatures, ${m.stats.rules} rules`);
  console.log(`  matrix: ${W} x ${W} workloads x ${PORTS.length} ports = ${cells.toLocaleString('en')} cells, ${allow.toLocaleString('en')} allowed, ${mixed} mixed`);
  console.log(`  policies: ${syn.model.policies.length} generated, ${m.stats.policies} used by the engine, ${rejected.length} invalid, ${dropped} dropped`);
  console.log(`  spot-check vs evaluator: ${SPOT_CHECKS} cells (half of them allowed ones), ${disagreements} disagreements`);
  console.log(`SUMMARY case=${name} pods=${syn.model.pods.length} workloads=${W} policies=${syn.model.policies.length} wall_ms=${tEngine.toFixed(0)} peak_rss=${mb(rss)} load1=${loadavg()[0]!.toFixed(2)} ${name === 'b' ? `target=${tEngine <= 5000 && rss <= 1024 * 1024 ? 'met' : 'MISSED'}` : ''}`.trim());
  if (disagreements > 0 || rejected.length > 0 || dropped !== 0) process.exitCode = 1;
}

const arg = process.argv.indexOf('--case');
if (arg !== -1) runCase(process.argv[arg + 1]!);
else {
  console.log(`engine benchmark on ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (another process may be using the CPU)`);
  for (const name of Object.keys(CASES)) {
    // A fresh process per case: peak RSS then belongs to that case alone.
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(out);
  }
}
