// `down`: removes a kept cluster and everything the harness made for it: its external containers
// (and a k3s node container), the kind cluster, and the kubeconfig temp dirs a kept run leaves.
// Externals of clusters that no longer exist at all are swept on the way (see removeOrphanedExternals).
import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { removeOrphanedExternals } from '../apply/externals.js';
import { execaRunner, runChecked, type CommandRunner } from '../cluster/command.js';
import { dockerBinary, kindBinary, kindClusters } from '../cluster/providers/kind.js';
import { DOCKER_CLUSTER_KEY } from '../cluster/labels.js';
import { silentProgress, withStep, type Progress } from '../cluster/progress.js';

export const DEFAULT_CLUSTER_NAME = 'netpol-harness';

export interface DownOptions {
  name?: string;
  kind?: string;
  docker?: string;
  runner?: CommandRunner;
  progress?: Progress;
  /** Where kept kubeconfigs live (default: the OS temp dir). */
  tmpDir?: string;
}

export interface DownReport {
  name: string;
  /** The kind cluster was deleted. */
  kindCluster: boolean;
  /** Containers removed that were labelled with this cluster (externals, a k3s node). */
  containers: string[];
  /** Externals of other clusters that no longer exist. */
  orphans: string[];
  tempDirs: string[];
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Temp dirs the kind and k3s providers made for this cluster name (mkdtemp adds six characters). */
export function isClusterTempDir(entry: string, name: string): boolean {
  return new RegExp(`^nph-(kind|k3s)-${escape(name)}-[A-Za-z0-9]{6}$`).test(entry);
}

export async function down(opts: DownOptions = {}): Promise<DownReport> {
  const name = opts.name ?? DEFAULT_CLUSTER_NAME;
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const kind = opts.kind ?? kindBinary({});
  const progress = opts.progress ?? silentProgress;
  const report: DownReport = { name, kindCluster: false, containers: [], orphans: [], tempDirs: [] };

  const labelled = await runChecked(runner, docker, ['ps', '--all', '--filter', `label=${DOCKER_CLUSTER_KEY}=${name}`, '--format', '{{.ID}}\t{{.Names}}'], `listing containers of cluster ${name}`);
  const containers = labelled.stdout
    .split('\n')
    .map((l) => l.trim().split('\t'))
    .filter((f) => f[0]);
  if (containers.length > 0) {
    await withStep(progress, `removing ${containers.length} container(s) of cluster ${name}`, () =>
      runChecked(runner, docker, ['rm', '--force', '--volumes', ...containers.map((c) => c[0]!)], `removing containers of cluster ${name}`),
    );
    report.containers = containers.map((c) => c[1] ?? c[0]!);
  }
  if ((await kindClusters(runner, kind)).includes(name)) {
    await withStep(progress, `deleting kind cluster ${name}`, () => runChecked(runner, kind, ['delete', 'cluster', '--name', name], `deleting kind cluster ${name}`));
    report.kindCluster = true;
  }
  report.orphans = await removeOrphanedExternals({ runner, docker });
  const dir = opts.tmpDir ?? tmpdir();
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    if (!isClusterTempDir(entry, name)) continue;
    await rm(path.join(dir, entry), { recursive: true, force: true });
    report.tempDirs.push(path.join(dir, entry));
  }
  return report;
}
