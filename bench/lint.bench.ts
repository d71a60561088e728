// `npm run bench:lint`: `lint` on one generated policy file of 2,000 and of 10,000 NetworkPolicies
// that all select the same pods (the worst case for the duplicate/shadowed-rule check, NPH014,
// which compares every rule with the rules applying to the same pods). Each case runs in its own
// process so peak RSS is the case's own; it times reading + parsing the file and the lint itself,
// as wall time and as CPU time (user + system, which a busy machine disturbs less; GC threads count).
// Target: 10,000 policies linted (read, parsed and checked) in <= 5 s (wall; on a busy machine
// compare the CPU time).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lintPath } from '../harness/policy/lint/load.js';
import { parseYaml } from '../harness/suite/yaml-source.js';

const CASES: Record<string, { label: string; policies: number }> = {
  '2000': { label: '2,000 policies selecting the same pods', policies: 2000 },
  '10000': { label: '10,000 policies selecting the same pods', policies: 10000 },
};
const TARGET_MS = 5000;

/**
 * Policy i selects app=api (every 4th also one of a few other selectors, so there are several
 * groups) and allows one client on one of 50 ports; every 5th adds an egress rule to its own /24;
 * every 7th repeats the previous client's rule (a shadowed rule NPH014 must report) and every 11th
 * allows a whole tier (which shadows the per-client rules of that tier on the same port).
 */
export function policyFile(n: number): string {
  const docs: string[] = [];
  for (let i = 0; i < n; i++) {
    const sel = i % 4 === 3 ? `app: api-${i % 3}` : 'app: api';
    const ingress = [`  - from:\n    - podSelector:\n        matchLabels: {client: c${i}, tier: t${i % 20}}\n    ports:\n    - {port: ${8000 + (i % 50)}, protocol: TCP}`];
    if (i % 7 === 0 && i > 0) ingress.push(`  - from:\n    - podSelector:\n        matchLabels: {client: c${i - 1}, tier: t${(i - 1) % 20}}\n    ports:\n    - {port: ${8000 + ((i - 1) % 50)}, protocol: TCP}`);
    if (i % 11 === 0) ingress.push(`  - from:\n    - podSelector:\n        matchLabels: {tier: t${i % 20}}\n    ports:\n    - {port: ${8000 + (i % 50)}, protocol: TCP}`);
    const egress = i % 5 === 0 ? `  egress:\n  - to:\n    - ipBlock: {cidr: 10.${(i >> 8) & 255}.${i & 255}.0/24}\n    ports:\n    - {port: 443, protocol: TCP}\n` : '';
    docs.push(
      `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: p${i}\n  namespace: app\nspec:\n  podSelector:\n    matchLabels: {${sel}}\n` +
        `  policyTypes: [Ingress${egress ? ', Egress' : ''}]\n  ingress:\n${ingress.join('\n')}\n${egress}`,
    );
  }
  return docs.join('---\n');
}

function mb(kb: number): string {
  return `${(kb / 1024).toFixed(0)} MB`;
}

async function runCase(name: string): Promise<void> {
  const spec = CASES[name]!;
  const dir = mkdtempSync(path.join(tmpdir(), 'nph-bench-lint-'));
  try {
    const file = path.join(dir, 'policies.yaml');
    writeFileSync(file, policyFile(spec.policies));
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const r = await lintPath(file);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    // The share of reading and parsing the YAML, measured after (so it does not warm up the lint).
    const p0 = process.cpuUsage();
    parseYaml(readFileSync(file, 'utf8'), file);
    const parse = process.cpuUsage(p0);
    const parseMs = (parse.user + parse.system) / 1000;
    const byRule = new Map<string, number>();
    for (const f of r.findings) byRule.set(f.rule, (byRule.get(f.rule) ?? 0) + 1);
    const rss = process.resourceUsage().maxRSS;
    console.log(spec.label);
    console.log(`  linted ${r.policies} policies: ${r.findings.length} findings (${[...byRule].map(([k, v]) => `${k} ${v}`).join(', ')}); reading and parsing the YAML alone: ${parseMs.toFixed(0)} ms CPU`);
    console.log(`SUMMARY case=${name} policies=${r.policies} wall_ms=${ms.toFixed(0)} cpu_ms=${cpuMs.toFixed(0)} peak_rss=${mb(rss)} load1=${loadavg()[0]!.toFixed(2)} target=${ms <= TARGET_MS ? 'met' : 'MISSED'} cpu_target=${cpuMs <= TARGET_MS ? 'met' : 'MISSED'}`);
    // On a busy machine wall time counts the waiting for a CPU; the CPU time is then the fairer figure.
    if (loadavg()[0]! > availableParallelism()) console.log(`  note: load ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} CPUs: wall time includes waiting for a CPU`);
    if (r.policies !== spec.policies) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const arg = process.argv.indexOf('--case');
if (arg !== -1) await runCase(process.argv[arg + 1]!);
else {
  console.log(`lint benchmark on ${process.version}, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} (another process may be using the CPU)`);
  for (const name of Object.keys(CASES)) {
    // A fresh process per case: peak RSS then belongs to that case alone.
    const out = execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--case', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    process.stdout.write(out);
  }
}
