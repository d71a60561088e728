// `netpol-harness conformance --random <n> --seed <s>`: n generated policy sets over the battery's
// topology, each checked against the engine on one cluster; deviating sets are shrunk, confirmed and
// written out as suites (harness/conformance/random/). Exit 0 all agree, 1 deviations, 2 bad input.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { driveRandom, renderRandom, type RandomReport } from '../../conformance/random/drive.js';
import { buildRandomSuite } from '../../conformance/random/drive.js';
import { EnforcementError, EXIT, InfraError, UsageError } from '../../errors.js';
import { makeOutputDir } from '../../report/report-dir.js';
import { writeReports } from '../../report/index.js';
import { confirmSettleMs } from '../../conformance/confirm.js';
import { HarnessSession, type SessionOptions } from '../../run/session.js';

export interface RandomFlags {
  random?: number;
  seed?: string;
  focus?: string;
  namedPorts?: boolean;
  confirmRuns?: number;
  reportDir?: string;
  cni?: 'calico' | 'kube-router' | 'none';
  podSubnet?: string;
  settle?: number;
}

export const DEFAULT_RANDOM_REPORT_DIR = 'conformance-random';

/** Checks the random-mode flags before any cluster work; returns n and the seed. */
export function parseRandomFlags(f: RandomFlags): { n: number; seed: number } {
  if (f.random === undefined) throw new UsageError('--seed needs --random <n>', { hint: 'e.g. netpol-harness conformance --random 20 --seed 1' });
  if (f.focus !== undefined) {
    throw new UsageError('--focus does not apply to --random: random sets are not tagged by feature', { hint: 'drop --focus, or run the battery without --random' });
  }
  let seed: number;
  if (f.seed === undefined) seed = Math.floor(Math.random() * 2 ** 31);
  else if (/^\d+$/.test(f.seed) && Number(f.seed) <= 0xffffffff) seed = Number(f.seed);
  else throw new UsageError(`--seed must be a whole number from 0 to 4294967295 (got "${f.seed}")`);
  return { n: f.random, seed };
}

async function writeJson(dir: string, report: RandomReport): Promise<string> {
  const file = path.join(dir, 'random.json');
  await makeOutputDir(dir);
  try {
    await writeFile(file, JSON.stringify(report, null, 2) + '\n', 'utf8');
  } catch (e) {
    throw new InfraError(`cannot write ${file}: ${(e as Error).message}`, { hint: 'check that --report-dir is writable', cause: e });
  }
  return file;
}

export async function runRandomMode(f: RandomFlags, session: SessionOptions): Promise<void> {
  const { n, seed } = parseRandomFlags(f);
  const reportDir = f.reportDir ?? DEFAULT_RANDOM_REPORT_DIR;
  const cni = f.cni ?? 'kube-router';
  const opts = {
    n,
    seed,
    namedPorts: f.namedPorts ?? true,
    ...(f.podSubnet ? { podSubnet: f.podSubnet } : {}),
    cni,
    cniFlag: f.cni !== undefined,
    reproDir: path.join(reportDir, 'random'),
    ...(f.confirmRuns !== undefined ? { confirmRuns: f.confirmRuns } : {}),
    confirmSettleMs: confirmSettleMs(f.settle ?? session.settleMs ?? 10_000),
    reproCommand: (suite: string) => `netpol-harness run ${suite} --cni ${session.cluster?.cni ?? cni}`,
    log: (line: string) => void process.stdout.write(`${line}\n`),
  };
  const loaded = buildRandomSuite(opts);
  process.stdout.write(`random conformance: seed ${seed} (rerun with --seed ${seed}), ${n} set${n === 1 ? '' : 's'}${opts.namedPorts ? '' : ', no named ports'}\n`);
  let s: HarnessSession;
  try {
    s = await HarnessSession.startLoaded(loaded, session);
  } catch (e) {
    if (!(e instanceof EnforcementError)) throw e;
    throw new EnforcementError(`this CNI does not enforce NetworkPolicy: ${e.message}`, { hint: 'install an enforcing CNI (calico, kube-router), or run with --cni none' });
  }
  let report: RandomReport | undefined;
  let failure: Error | undefined;
  try {
    report = await driveRandom(s, loaded, opts);
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  const cleanup = await s.stop();
  if (s.result.steps.length > 0) {
    const { files } = await writeReports(s.result, reportDir, { env: process.env });
    if (report) files.push(await writeJson(reportDir, report));
    process.stdout.write(`reports${failure ? ' (partial)' : ''}: ${files.join(', ')}\n`);
  }
  if (failure) throw failure;
  process.stdout.write(`\n${renderRandom(report!)}`);
  for (const d of cleanup.failed) process.stderr.write(`netpol-harness: cleanup failed: ${d.label}: ${d.error.message}\n`);
  process.exitCode = cleanup.failed.length > 0 ? EXIT.error : report!.deviatingSets > 0 ? EXIT.mismatch : EXIT.ok;
}
