// `npm run bench:conformance`: the whole conformance battery end to end on a new kind cluster,
// cluster creation included, timed. Target: under 10 minutes on a 2-core machine. For scale:
// Cyclonus ran 112 cases in 3 h 15 min with 15 workers; upstream's Netpol e2e takes about an hour.
//
// Usage: npm run bench:conformance [-- --cni kube-router --cluster-name nph-bench-conformance --lanes 4]
import { execa } from 'execa';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ConformanceReport } from '../harness/conformance/verdict.js';
import { effectiveCni } from '../harness/run/session.js';

const { values } = parseArgs({
  options: {
    cni: { type: 'string' },
    'cluster-name': { type: 'string', default: 'nph-bench-conformance' },
    lanes: { type: 'string' },
  },
});
const ROOT = path.resolve(import.meta.dirname, '..');
const TARGET_MS = 10 * 60_000;
const cni = effectiveCni('kube-router', values.cni as 'calico' | 'kube-router' | 'none' | undefined);
const dir = await mkdtemp(path.join(tmpdir(), 'nph-bench-conformance-'));
const t0 = performance.now();
const r = await execa(process.execPath, ['--import', 'tsx', path.join(ROOT, 'harness/cli/bin.ts'), 'conformance', '--cni', cni, '--cluster-name', values['cluster-name'], '--report-dir', dir, ...(values.lanes ? ['--lanes', values.lanes] : [])], {
  cwd: ROOT,
  reject: false,
  stdio: ['ignore', 'inherit', 'inherit'],
});
const ms = performance.now() - t0;
const report = JSON.parse(await readFile(path.join(dir, 'conformance.json'), 'utf8')) as ConformanceReport;
const steps = report.cases.reduce((n, c) => n + c.timeToEnforceMs.length, 0);
const packing = report.packing ? `, packed into ${report.packing.rounds} rounds / ${report.packing.steps} suite steps over ${report.packing.lanes} lanes (${report.packing.casesPerRound} cases per round)` : '';
process.stdout.write(
  `\nbench:conformance: ${report.cases.length} cases (${steps} case steps${packing}) on ${cni} in ${(ms / 1000).toFixed(0)} s, cluster creation included ` +
    `(target < ${TARGET_MS / 60_000} min: ${ms < TARGET_MS ? 'met' : 'MISSED'}); exit ${r.exitCode}; reports in ${dir}\n` +
    `for scale: Cyclonus 112 cases in 3 h 15 min with 15 workers; upstream Netpol e2e about 1 h\n`,
);
process.exitCode = ms < TARGET_MS && (r.exitCode === 0 || r.exitCode === 1) ? 0 : 1;
