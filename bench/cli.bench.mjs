// `npm run bench:cli`: start-up cost of the built CLI (dist/, plain node, no tsx), as a user feels it.
// Each case runs N times in a fresh process; prints the median wall time (spawn to exit) and the peak
// RSS, and fails (exit 1) when a target is missed. Targets (issue 13): `--version` <= 120 ms,
// `validate suites/zero-trust` <= 300 ms, peak RSS <= 80 MB. Peak RSS (and CPU time) is read in separate runs through
// a tiny --import hook (process.resourceUsage at exit) so that the timed runs carry no extra module.
// Usage: npm run build && npm run bench:cli [-- --runs 15]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'dist/harness/cli/bin.js');
const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;
const MAX_RSS_MB = 80;
const CASES = [
  { label: '--version', args: ['--version'], maxMs: 120 },
  { label: 'validate suites/zero-trust', args: ['validate', 'suites/zero-trust'], maxMs: 300 },
];

if (!existsSync(bin)) {
  console.error(`bench:cli: ${path.relative(root, bin)} not found; run npm run build first`);
  process.exit(2);
}
const tmp = mkdtempSync(path.join(tmpdir(), 'nph-bench-cli-'));
const rssFile = path.join(tmp, 'rss');
const rssHook = `data:text/javascript,${encodeURIComponent(
  `import{writeFileSync}from'node:fs';process.on('exit',()=>{const u=process.resourceUsage();writeFileSync(${JSON.stringify(rssFile)},JSON.stringify({rss:u.maxRSS,cpu:(u.userCPUTime+u.systemCPUTime)/1000}))});`,
)}`;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function once(nodeArgs, args) {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [...nodeArgs, bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`netpol-harness ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

console.log(`bench:cli: node ${process.version}, ${RUNS} runs per case, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const floor = median(Array.from({ length: RUNS }, () => {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}));
const floorCpu = median(Array.from({ length: 7 }, () => {
  spawnSync(process.execPath, ['--import', rssHook, '-e', '0']);
  return JSON.parse(readFileSync(rssFile, 'utf8')).cpu;
}));
console.log(`  (node -e 0 takes ${floor.toFixed(0)} ms and ${floorCpu.toFixed(0)} ms CPU here: the floor of any CLI start)`);
let failed = 0;
try {
  for (const c of CASES) {
    once([], c.args); // warm the file cache
    const ms = median(Array.from({ length: RUNS }, () => once([], c.args)));
    const usage = Array.from({ length: Math.min(RUNS, 7) }, () => {
      once(['--import', rssHook], c.args);
      return JSON.parse(readFileSync(rssFile, 'utf8'));
    });
    const rss = Math.max(...usage.map((u) => u.rss / 1024));
    // CPU time (user + system, all threads) hardly depends on other load: a hint when the machine is busy.
    const cpu = median(usage.map((u) => u.cpu));
    const ok = ms <= c.maxMs && rss <= MAX_RSS_MB;
    if (!ok) failed++;
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${c.label.padEnd(28)} median ${ms.toFixed(0).padStart(4)} ms (target <= ${c.maxMs}), peak RSS ${rss.toFixed(0).padStart(3)} MB (target <= ${MAX_RSS_MB}); CPU ${cpu.toFixed(0)} ms`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (failed) {
  console.log(`bench:cli: ${failed} case(s) missed a target${loadavg()[0] > 2 ? ' (the machine is loaded: compare with the node -e 0 floor)' : ''}`);
  process.exitCode = 1;
}
