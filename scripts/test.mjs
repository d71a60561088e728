#!/usr/bin/env node
// The project's test command (`npm test`): typecheck, lint, unit tests, then the e2e tier
// when a real cluster can be built from local images; otherwise prints why e2e is SKIPPED.
// Closes with one line CI reads: "N passed, N failed, N skipped".
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const args = new Set(process.argv.slice(2));
const e2eOnly = args.has('--e2e-only');
const unitOnly = args.has('--unit-only');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const tmp = mkdtempSync(path.join(tmpdir(), 'nph-test-'));
const totals = { passed: 0, failed: 0, skipped: 0 };

function step(name, cmd, argv, env = {}) {
  process.stdout.write(`\n== ${name}\n`);
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return r.status === 0;
}

function mochaRun(name, config) {
  const counts = path.join(tmp, `${name}.json`);
  const ok = step(name, 'npx', ['mocha', '--config', config, '--reporter', path.join(root, 'scripts/mocha-summary-reporter.cjs')], { NPH_COUNTS_FILE: counts });
  if (existsSync(counts)) {
    const c = JSON.parse(readFileSync(counts, 'utf8'));
    totals.passed += c.passed; totals.failed += c.failed; totals.skipped += c.skipped;
  } else if (!ok) {
    totals.failed += 1; // the runner itself crashed before reporting
  }
  return ok;
}

if (!e2eOnly) {
  // Static checks count as one test each, so a type or lint error fails CI visibly.
  for (const [name, argv] of [['typecheck', ['tsc', '-p', 'tsconfig.json', '--noEmit']], ['lint', ['eslint', '.']]]) {
    if (step(name, 'npx', argv)) totals.passed += 1; else totals.failed += 1;
  }
  mochaRun('unit', '.mocharc.unit.json');
}

if (!unitOnly) {
  let reason;
  try {
    reason = execFileSync('bash', [path.join(root, 'scripts/e2e-preflight.sh')], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (e) {
    reason = `preflight failed: ${(e.stdout ?? '').toString().trim() || e.message}`;
  }
  if (reason === 'ready') {
    mochaRun('e2e', '.mocharc.e2e.json');
  } else {
    console.log(`\ne2e SKIPPED: ${reason}; build with npm run images`);
    totals.skipped += 1;
  }
}

console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exitCode = totals.failed > 0 ? 1 : 0;
