// `netpol-harness run <suite>`: the main job. Provision, install the CNI, prove enforcement, deploy,
// then for each step apply, probe, compare and report. Exit 0 when every step matches, 1 on mismatches,
// 2 on usage, input or infrastructure errors, or when nothing was tested. Flags are checked before anything touches a cluster.
import { Option, type Command } from 'commander';
import { EXIT, UsageError } from '../../errors.js';
import { makeOutputDir } from '../../report/report-dir.js';
import { planRehearsal } from '../../run/rehearsal.js';
import { detectTerminal, renderRun, renderStep, runSummaryLine, runTimingLines, summarizeRun, writeReports, type RunSummary } from '../../report/index.js';
import { reproKubeconfigNote } from '../../report/repro-note.js';
import { HarnessSession, type SessionOptions } from '../../run/session.js';
import { addClusterOptions, clusterSessionOptions, intIn, type ClusterFlags } from '../cluster-options.js';

export { intIn };

interface RunFlags extends ClusterFlags {
  provider?: 'kind' | 'existing' | 'k3s';
  allowForeignNamespaces?: boolean;
  reportDir?: string;
  focus: 'all' | 'wrong';
  ascii?: boolean;
  via?: 'service' | 'pod' | 'dns';
  timeout?: number;
  settle?: number;
  skipCanary?: boolean;
  execConcurrency?: number;
  plan?: boolean;
  keepChanges?: boolean;
}

/**
 * 0 every step matched; 1 some cell was wrong (a policy or expectation problem); 2 when cells could
 * not be judged and none was wrong (exec denied, agent missing, a node or pod failed under the run:
 * the infrastructure, not the policies, needs a look), when nothing was tested at all (no cell
 * judged), or cleanup failed.
 */
export function exitCodeFor(summary: RunSummary, cleanupFailures: number): number {
  if (cleanupFailures > 0) return EXIT.error;
  // A run that judged no cell is not a pass (nor a verdict): exit 2, "nothing was tested".
  if (summary.nothingTested !== undefined) return EXIT.error;
  if (summary.passed) return EXIT.ok;
  if (summary.wrong === 0 && (summary.errors > 0 || summary.steps.some((s) => s.nothingTested !== undefined))) return EXIT.error;
  return EXIT.mismatch;
}

export function register(program: Command): void {
  const cmd = program.command('run').argument('<suite>', 'suite file (or a directory holding suite.yaml)');
  addClusterOptions(cmd, { providers: ['kind', 'existing', 'k3s'], providerDefault: "the suite's" })
    .option('--allow-foreign-namespaces', 'existing clusters: allow changing namespaces this run did not create')
    .option('--report-dir <dir>', 'write results.json, junit.xml, summary.md and report.html here')
    .addOption(new Option('--focus <what>', 'terminal output: every table, or only the wrong cells').choices(['all', 'wrong']).default('all'))
    .option('--ascii', 'ASCII symbols only')
    .addOption(new Option('--via <how>', 'address workloads by Service ClusterIP, pod IP or Service DNS name (default: the suite\'s)').choices(['service', 'pod', 'dns']))
    .option('--timeout <ms>', 'per-probe timeout inside the pod', intIn('--timeout', 100, 60_000))
    .option('--settle <ms>', 're-probe mismatching cells for up to this long after each step', intIn('--settle', 0, 600_000))
    .option('--exec-concurrency <n>', 'concurrent execs against the API server', intIn('--exec-concurrency', 1, 64))
    .option('--skip-canary', 'do not check that the CNI enforces NetworkPolicy first (not recommended)')
    .option('--plan', 'print what each step would create, change and delete on an existing cluster, and change nothing (implies --provider existing)')
    .option('--keep-changes', 'existing clusters: leave a passing rehearsal\'s policies and labels applied')
    .action(async (suiteFile: string, f: RunFlags) => {
      if ((f.plan || f.keepChanges) && f.provider && f.provider !== 'existing') {
        throw new UsageError(`--${f.plan ? 'plan' : 'keep-changes'} works on an existing cluster and implies --provider existing; it cannot be combined with --provider ${f.provider}`, {
          hint: `drop --provider ${f.provider}, or pass --provider existing`,
        });
      }
      if (f.plan) {
        const { text } = await planRehearsal(suiteFile, { ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}), ...((f.context ?? f.clusterName) ? { context: f.context ?? f.clusterName } : {}) });
        process.stdout.write(`${text}\n`);
        return;
      }
      // Before any cluster work: a report directory that cannot be made fails now, not after the run.
      if (f.reportDir) await makeOutputDir(f.reportDir);
      const term = { ...detectTerminal(process.stdout, process.env), ...(f.ascii ? { ascii: true } : {}) };
      const opts: SessionOptions = {
        ...clusterSessionOptions(f),
        handleSignals: true,
        ...(f.allowForeignNamespaces ? { allowForeignNamespaces: true } : {}),
        ...(f.via ? { via: f.via } : {}),
        ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}),
        ...(f.settle !== undefined ? { settleMs: f.settle } : {}),
        ...(f.execConcurrency !== undefined ? { execConcurrency: f.execConcurrency } : {}),
        ...(f.skipCanary ? { skipCanary: true } : {}),
        ...(f.reportDir ? { rollbackDir: f.reportDir } : {}),
      };
      const session = await HarnessSession.start(suiteFile, opts);
      let failure: Error | undefined;
      try {
        await session.runAll((step) => {
          if (f.focus === 'all') process.stdout.write(`\n${renderStep(step, session.result.axes, { ...term, focus: 'all' })}\n`);
        });
      } catch (e) {
        failure = e instanceof Error ? e : new Error(String(e));
      }
      if (f.keepChanges && !failure && summarizeRun(session.result).passed) {
        session.keepPolicyChanges();
        process.stdout.write('--keep-changes: the rehearsal passed; its policies and labels stay applied (rollback.yaml undoes them)\n');
      }
      const cleanup = await session.stop();
      const run = session.result;
      // Reports are written even when the run died mid-way: the steps that finished are evidence.
      if (f.reportDir && run.steps.length > 0) {
        const { files } = await writeReports(run, f.reportDir, { env: process.env });
        process.stdout.write(`reports${failure ? ' (partial)' : ''}: ${files.join(', ')}\n`);
      }
      if (failure) throw failure;
      const summary = summarizeRun(run);
      if (f.focus === 'wrong') process.stdout.write(`\n${renderRun(run, { ...term, focus: 'wrong' })}\n`);
      else process.stdout.write(`\n${[...runTimingLines(run), runSummaryLine(summary)].join('\n')}\n`);
      const note = reproKubeconfigNote(run);
      if (note !== undefined && !summary.passed) process.stdout.write(`${note}\n`);
      for (const d of cleanup.failed) process.stderr.write(`netpol-harness: cleanup failed: ${d.label}: ${d.error.message}\n`);
      if (summary.nothingTested !== undefined) process.stderr.write(`netpol-harness: nothing was tested: ${summary.nothingTested}\n`);
      process.exitCode = exitCodeFor(summary, cleanup.failed.length);
    });
}
