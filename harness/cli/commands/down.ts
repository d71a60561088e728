// `netpol-harness down [--cluster-name N]`: deletes a cluster kept with --keep and everything the
// harness made for it (external containers, kubeconfig temp dirs), plus externals orphaned by
// clusters deleted behind the harness's back (`kind delete cluster`). Exit 0 also when nothing was there.
import type { Command } from 'commander';
import { createProgress } from '../../cluster/progress.js';
import { DEFAULT_CLUSTER_NAME, down, type DownReport } from '../../run/down.js';

export function downSummary(r: DownReport): string {
  const parts: string[] = [];
  if (r.kindCluster) parts.push(`deleted kind cluster ${r.name}`);
  if (r.containers.length) parts.push(`removed container(s) ${r.containers.join(', ')}`);
  if (r.orphans.length) parts.push(`removed orphaned external(s) ${r.orphans.join(', ')}`);
  if (r.tempDirs.length) parts.push(`removed ${r.tempDirs.length} kubeconfig temp dir(s)`);
  return parts.length ? `${parts.join('; ')}` : `nothing to remove for cluster ${r.name}`;
}

export function register(program: Command): void {
  program
    .command('down')
    .description('delete a cluster kept with --keep and everything the harness made for it (external containers, kubeconfig files)')
    .option('--cluster-name <name>', 'the kept cluster', DEFAULT_CLUSTER_NAME)
    .action(async (f: { clusterName: string }) => {
      const r = await down({ name: f.clusterName, progress: createProgress({ stream: process.stderr }) });
      process.stdout.write(`${downSummary(r)}\n`);
    });
}
