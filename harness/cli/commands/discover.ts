// `netpol-harness discover`: read a live cluster (never change it) and write a suite that asks
// whether the cluster does what its policies say. Exit 2 on a missing context, namespace or
// permission, or on policies the engine cannot model (unless --skip-unsupported).
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { createProgress } from '../../cluster/progress.js';
import { discover, parseExternalFlag, type DiscoveredExternal } from '../../discover/index.js';
import { deprecated } from '../grammar.js';

interface DiscoverFlags {
  kubeconfig?: string;
  context?: string;
  namespace: string[];
  allNamespaces?: boolean;
  outDir?: string;
  /** Deprecated: `-o` is a format in every other command. */
  output?: string;
  skipUnsupported?: boolean;
  attacker: boolean;
  external: DiscoveredExternal[];
}

/** `--out-dir`, or the old `-o DIR` with a deprecation warning (`-o` is a format everywhere else). */
export function outDirOf(f: Pick<DiscoverFlags, 'outDir' | 'output'>, warn = deprecated): string {
  if (f.outDir !== undefined && f.output !== undefined) throw new UsageError('pass --out-dir only (-o/--output is its deprecated spelling)');
  if (f.output !== undefined) {
    warn('discover -o/--output <dir>', `use --out-dir ${f.output} (-o names an output format in every other command)`);
    return f.output;
  }
  if (f.outDir === undefined) throw new UsageError('name the directory to write the suite into: --out-dir <dir>');
  return f.outDir;
}

export function register(program: Command): void {
  program
    .command('discover')
    .description('read a live cluster (read-only) and write a suite: namespaces, workloads, its NetworkPolicies, one simulated step')
    .option('--kubeconfig <file>', 'kubeconfig (only read)')
    .option('--context <name>', 'kube context (default: the current one)')
    .option('-n, --namespace <name>', 'namespace to read (repeat for more)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('-A, --all-namespaces', 'every namespace except kube-system, kube-public and kube-node-lease (default is read, as existing: true)')
    .option('--out-dir <dir>', 'directory for suite.yaml and policies/ (required)')
    .addOption(new Option('-o, --output <dir>', 'deprecated spelling of --out-dir').hideHelp())
    .option('--skip-unsupported', 'write the suite without policies the engine cannot model (they are listed) instead of failing')
    .option('--no-attacker', 'do not add the attacker probe (a pod in a fresh namespace nph-attacker, which the run creates and deletes)')
    .option(
      '--external <name=cidr:port>',
      'an egress destination you care about, e.g. payments=203.0.113.0/24:443 (repeatable): written with the CIDR\'s first address, for validate, check and simulate; a run does not probe the CIDR (docs/in-place.md)',
      (v: string, prev: DiscoveredExternal[]) => {
        try {
          return [...prev, parseExternalFlag(v)];
        } catch (e) {
          throw new InvalidArgumentError((e as Error).message);
        }
      },
      [] as DiscoveredExternal[],
    )
    .action(async (f: DiscoverFlags) => {
      const outDir = outDirOf(f);
      if (f.allNamespaces && f.namespace.length) throw new UsageError('pass either -n/--namespace or --all-namespaces, not both');
      if (!f.allNamespaces && f.namespace.length === 0) throw new UsageError('name the namespaces to read (-n <ns>, repeatable) or pass --all-namespaces');
      const t0 = performance.now();
      const { discovered, files, readMs } = await discover({
        ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
        ...(f.context ? { context: f.context } : {}),
        scope: f.allNamespaces ? { all: true } : { all: false, names: f.namespace },
        outDir,
        skipUnsupported: f.skipUnsupported ?? false,
        attacker: f.attacker,
        externals: f.external,
        progress: createProgress(),
      });
      const s = discovered.suite as { namespaces: unknown[]; workloads: unknown[]; probes?: unknown[]; probe?: { dnsNames?: string[] } };
      const nPolicies = [...discovered.policyFiles.values()].reduce((n, d) => n + d.length, 0);
      process.stdout.write(
        `discovered ${s.namespaces.length} namespace(s), ${s.workloads.length} workload(s), ${nPolicies} NetworkPolic${nPolicies === 1 ? 'y' : 'ies'}` +
          `${discovered.unsupported.length ? ` (${discovered.unsupported.length} left out)` : ''}` +
          `${discovered.skipped.length ? `; skipped ${discovered.skipped.length} controller(s)/pod(s), listed above` : ''}` +
          `${s.probes?.length ? '; added the attacker probe' : ''}${s.probe?.dnsNames ? '; added the DNS check' : ''} in ${(readMs / 1000).toFixed(2)} s reading, ${((performance.now() - t0) / 1000).toFixed(2)} s total\nwrote ${files.join(', ')}\n`,
      );
    });
}
