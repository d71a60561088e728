// `netpol-harness conformance`: what does this CNI really enforce? Generates the battery suite
// (harness/conformance/) and runs it through the same session as `run`, then judges per feature.
// Exit 0 when every case conforms, 1 on deviations, 2 on bad flags, a CNI that does not enforce
// NetworkPolicy at all (the canary), or infrastructure errors.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { cellInStep, DEFAULT_LANES, generateBattery, hostHasSctp, MAX_LANES, isFeature, judge, notEnforcingReport, renderConformance, FEATURE_NAMES, type ConformanceReport, type Feature, type GeneratedBattery } from '../../conformance/index.js';
import { EnforcementError, EXIT, InfraError, UsageError } from '../../errors.js';
import { makeOutputDir } from '../../report/report-dir.js';
import { writeReports } from '../../report/index.js';
import { distrustedText } from '../../report/format.js';
import { effectiveCni, HarnessSession, type SessionOptions } from '../../run/session.js';
import { formatCidr, isCidr, parseCidr } from '../../suite/cidr.js';
import { staticServiceIP } from '../../suite/service-ips.js';
import { runRandomMode } from './conformance-random.js';
import { retargetStep } from '../../conformance/addresses.js';
import { confirmDeviations, confirmSettleMs, DEFAULT_CONFIRM_RUNS } from '../../conformance/confirm.js';
import type { StepResult } from '../../diff/result.js';
import { addClusterOptions, clusterSessionOptions, intIn, type ClusterFlags } from '../cluster-options.js';

interface ConformanceFlags extends ClusterFlags {
  provider?: 'kind' | 'existing';
  focus?: string;
  reportDir?: string;
  podSubnet?: string;
  serviceSubnet?: string;
  timeout?: number;
  settle?: number;
  settleInterval?: number;
  random?: number;
  seed?: string;
  namedPorts?: boolean;
  confirmRuns?: number;
  lanes?: number;
}

/**
 * The Service CIDR the battery pins a ClusterIP in: `--service-subnet`, else the kind cluster's
 * default; on an existing cluster it is unknown (null) and those cases are not testable. A bad
 * CIDR, or one too small to pin an address in, exits 2.
 */
export function serviceSubnetOf(f: Pick<ConformanceFlags, 'serviceSubnet' | 'provider'>): string | null | undefined {
  if (f.serviceSubnet === undefined) return f.provider === 'existing' ? null : undefined;
  const c = parseCidr(f.serviceSubnet);
  if (!isCidr(c)) throw new UsageError(`--service-subnet: "${f.serviceSubnet}" ${c.error}`, { hint: 'the cluster\'s Service CIDR, e.g. 10.96.0.0/12 (kubeadm and kind)' });
  if (c.addr !== c.network) throw new UsageError(`--service-subnet: "${f.serviceSubnet}" has host bits set: write "${formatCidr(c)}"`);
  try {
    staticServiceIP(f.serviceSubnet);
  } catch (e) {
    throw new UsageError(`--service-subnet: ${(e as Error).message}`);
  }
  return f.serviceSubnet;
}

/** `--focus a,b`: every name must be a feature; exit 2 listing them otherwise. */
export function parseFocus(text: string | undefined): Feature[] {
  if (text === undefined) return [];
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = names.filter((n) => !isFeature(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`--focus: unknown feature${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `"${u}"`).join(', ') || '(none given)'}`, {
      hint: `features: ${FEATURE_NAMES.join(', ')}`,
    });
  }
  return names as Feature[];
}

async function writeConformance(dir: string, report: ConformanceReport): Promise<string[]> {
  await makeOutputDir(dir);
  try {
    const json = path.join(dir, 'conformance.json');
    const md = path.join(dir, 'conformance.md');
    await writeFile(json, JSON.stringify(report, null, 2) + '\n', 'utf8');
    await writeFile(md, renderConformance(report), 'utf8');
    return [json, md];
  } catch (e) {
    throw new InfraError(`cannot write reports to ${dir}: ${(e as Error).message}`, { hint: 'check that --report-dir is writable', cause: e });
  }
}

/**
 * Starts the battery's session. A failed enforcement canary still writes conformance.json/md (saying
 * the CNI enforces nothing) and becomes exit 2 "this CNI does not enforce NetworkPolicy". `start`: tests.
 */
export async function startBattery(
  battery: GeneratedBattery,
  opts: SessionOptions,
  f: Pick<ConformanceFlags, 'cni' | 'provider' | 'reportDir'>,
  start: (loaded: GeneratedBattery['loaded'], opts: SessionOptions) => Promise<HarnessSession> = (l, o) => HarnessSession.startLoaded(l, o),
): Promise<HarnessSession> {
  try {
    return await start(battery.loaded, opts);
  } catch (e) {
    if (!(e instanceof EnforcementError)) throw e;
    // On an existing cluster the battery suite's cni says nothing (the canary's message names the detected CNI).
    const cni = f.provider === 'existing' ? (f.cni ?? 'unknown') : effectiveCni(battery.loaded.suite.cluster.cni, f.cni);
    const report = notEnforcingReport(cni, f.provider ?? 'kind', e.message);
    if (f.reportDir) process.stdout.write(`reports: ${(await writeConformance(f.reportDir, report)).join(', ')}\n`);
    throw new EnforcementError(`this CNI does not enforce NetworkPolicy: ${e.message}`, { hint: 'install an enforcing CNI (calico, kube-router), or run with --cni none to see what an unenforced cluster answers' });
  }
}

export function register(program: Command): void {
  const cmd = program
    .command('conformance')
    .description('run the NetworkPolicy conformance battery: which features this CNI enforces as the API says, how it denies, how fast');
  addClusterOptions(cmd, { providers: ['kind', 'existing'], defaultProvider: 'kind' })
    .option('--focus <features>', `only the cases tagged with these features (comma list): ${FEATURE_NAMES.join(', ')}`)
    .option('--report-dir <dir>', 'write conformance.json and conformance.md, and run\'s results.json, junit.xml, summary.md, report.html')
    .option('--pod-subnet <cidr>', 'the cluster pod CIDR the ipBlock cases are written against (default: the kind cluster\'s, 192.168.0.0/16)')
    .option('--service-subnet <cidr>', "the cluster's Service CIDR, where the ipblock-service cases pin a ClusterIP (default: the kind cluster's, 10.96.0.0/12; on --provider existing those cases are not testable without it)")
    .option('--timeout <ms>', 'per-probe timeout inside the pod (default 1000)', intIn('--timeout', 100, 60_000))
    .option('--settle <ms>', 're-probe mismatching cells for up to this long after each change (default 10000)', intIn('--settle', 0, 600_000))
    .option('--settle-interval <ms>', 'pause between re-probes while a change settles: the time-to-enforce resolution (default 200)', intIn('--settle-interval', 0, 10_000))
    .option('--lanes <n>', `copies of the topology whose independent cases share a round (default ${DEFAULT_LANES}; 1 = one case at a time)`, intIn('--lanes', 1, MAX_LANES))
    .option('--random <n>', 'instead of the battery: n random policy sets over its topology, each checked against the engine; deviating sets are shrunk and written out as suites', intIn('--random', 1, 1000))
    .option('--seed <s>', '--random: the seed (a whole number; the same seed gives the same sets; default: a new one, printed)')
    .option('--no-named-ports', '--random: generate no named ports (port: serve)')
    .option('--confirm-runs <n>', `runs, each with a long settle, to confirm a deviation before it counts: a deviating case re-run alone (--random: its shrunk set); one that conforms is reported slow to enforce (default ${DEFAULT_CONFIRM_RUNS})`, intIn('--confirm-runs', 1, 20))
    .action(async (f: ConformanceFlags) => {
      const focus = parseFocus(f.focus);
      // Before any cluster work: a report directory that cannot be made fails now, not after the run.
      if (f.reportDir) await makeOutputDir(f.reportDir);
      // An existing cluster has no Docker network for the outside container: those cases are left out.
      const battery = generateBattery({
        focus,
        ...(f.podSubnet ? { podSubnet: f.podSubnet } : {}),
        externals: f.provider !== 'existing',
        ...(f.lanes !== undefined ? { lanes: f.lanes } : {}),
        serviceSubnet: serviceSubnetOf(f),
      });
      const sctpTestable = f.provider !== 'existing' && (await hostHasSctp());
      const opts: SessionOptions = {
        ...clusterSessionOptions({ ...f, provider: f.provider ?? 'kind' }),
        handleSignals: true,
        settleIntervalMs: f.settleInterval ?? 200,
        ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}),
        ...(f.settle !== undefined ? { settleMs: f.settle } : {}),
      };
      if (f.random !== undefined || f.seed !== undefined) return runRandomMode(f, opts);
      // Each case is judged on its lane's cells only; cells across lanes are not probed (lanes.ts).
      // ipBlock cases are rewritten against the pods' IPs as observed when they apply (addresses.ts).
      let lastBlock: string | undefined;
      const batteryOpts: SessionOptions = {
        ...opts,
        cellFilter: (i, src, col) => cellInStep(battery.steps[i], src, col),
        cellTimes: true,
        beforeApply: (i, addresses) => {
          const block = retargetStep(battery, i, addresses);
          if (block !== undefined && block !== lastBlock) process.stdout.write(`  ipBlock cases: the pods' IPs lie in ${block}\n`);
          lastBlock = block ?? lastBlock;
        },
      };
      const pods = battery.loaded.suite.workloads.filter((w) => w.initially !== 'absent').length;
      process.stdout.write(
        `conformance battery: ${battery.cases.length} cases in ${battery.rounds.length} rounds (${battery.loaded.suite.steps.length} steps) over ${battery.lanes} lane(s), ${pods} pods${focus.length > 0 ? ` (focus: ${focus.join(', ')})` : ''}\n`,
      );
      for (const { case: c, reason } of battery.leftOut) process.stdout.write(`  ${c.id}: not testable: ${reason}\n`);
      const session = await startBattery(battery, batteryOpts, f);
      const confirmSettle = confirmSettleMs(f.settle ?? battery.loaded.suite.probe.settleMs);
      const judgeRun = () => judge(session.result, battery.cases, battery.steps, { sctpTestable, confirmSettleMs: confirmSettle }, battery.leftOut);
      const printStep = (step: StepResult) => {
        const wrong = step.cells.filter((c) => c.observed?.verdict !== undefined && c.observed.verdict !== c.expected).length;
        const tte = step.timeToEnforceMs !== undefined ? `enforced in ${(step.timeToEnforceMs / 1000).toFixed(1)} s${distrustedText(step.infrastructure?.distrustedMs)}` : 'did not match';
        const ids = battery.steps[session.result.steps.length - 1]?.cases.filter((c) => c.change !== undefined).map((c) => c.caseId) ?? [];
        const what = step.notTestable !== undefined ? 'not testable' : `${step.cells.length} cells, ${wrong} deviating, ${tte}`;
        process.stdout.write(`  ${step.name}${ids.length > 1 ? ` [${ids.join(' ')}]` : ''}: ${what}\n`);
      };
      let failure: Error | undefined;
      try {
        await session.runAll(printStep);
        // Only a deviation that shows again when the case runs alone with a long settle counts (confirm.ts).
        const suspects = judgeRun().cases.filter((c) => c.status === 'deviates').map((c) => c.id);
        if (suspects.length > 0) process.stdout.write(`confirming ${suspects.length} deviating case(s), each alone with a ${(confirmSettle / 1000).toFixed(0)} s settle: ${suspects.join(', ')}\n`);
        await confirmDeviations(session, battery, { maxRuns: f.confirmRuns ?? DEFAULT_CONFIRM_RUNS, settleMs: confirmSettle, withExternal: f.provider !== 'existing', judge: judgeRun, onStep: printStep });
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
      }
      const cleanup = await session.stop();
      const run = session.result;
      const report = judgeRun();
      if (f.reportDir && run.steps.length > 0) {
        const { files } = await writeReports(run, f.reportDir, { env: process.env });
        files.push(...(await writeConformance(f.reportDir, report)));
        process.stdout.write(`reports${failure ? ' (partial)' : ''}: ${files.join(', ')}\n`);
      }
      if (failure) throw failure;
      process.stdout.write(`\n${renderConformance(report)}`);
      for (const d of cleanup.failed) process.stderr.write(`netpol-harness: cleanup failed: ${d.label}: ${d.error.message}\n`);
      process.exitCode = cleanup.failed.length > 0 ? EXIT.error : report.cases.some((c) => c.status === 'deviates') ? EXIT.mismatch : EXIT.ok;
    });
}
