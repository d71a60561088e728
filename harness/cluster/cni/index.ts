// CNI installers by name, and the provider-aware entry point the runner calls.
import { UsageError } from '../../errors.js';
import { silentProgress } from '../progress.js';
import type { Cluster } from '../provider.js';
import { waitForNodesReady } from '../wait.js';
import { calicoInstaller } from './calico.js';
import { kubeRouterInstaller } from './kube-router.js';
import { noneInstaller } from './none.js';
import type { CniInstallOptions, CniInstaller, CniName } from './types.js';

export * from './types.js';
export { CALICO_IMAGES, CALICO_MANIFEST_URL, CALICO_VERSION, NFTABLES_MODE_ENV, calicoInstaller, kubeProxyMode, manifestImages, withCalicoDataplane } from './calico.js';
export { KUBE_ROUTER_IMAGE, KUBE_ROUTER_VERSION, kubeRouterImage, kubeRouterInstaller, withKubeRouterImage } from './kube-router.js';
export { noneInstaller } from './none.js';
export { describeCni, detectCni, identifyCni, type DetectedCni } from './detect.js';
export { applyObjects, parseManifest, readManifestText } from './manifest.js';

export const installers: Readonly<Record<CniName, CniInstaller>> = {
  calico: calicoInstaller,
  'kube-router': kubeRouterInstaller,
  none: noneInstaller,
};

export function cniInstaller(name: CniName): CniInstaller {
  const i = installers[name];
  if (!i) throw new UsageError(`unknown CNI "${String(name)}" (want calico, kube-router or none)`);
  return i;
}

/**
 * What the runner calls after createCluster. kind: installs the suite's CNI. k3s: its CNI and
 * policy controller are built in, so only waits for the node. existing: never installs anything
 * on someone else's cluster; only checks the nodes are Ready.
 * Returns what was done, for the report.
 */
export async function installCni(cluster: Cluster, name: CniName, opts: CniInstallOptions = {}): Promise<'installed' | 'builtin' | 'skipped'> {
  const progress = opts.progress ?? silentProgress;
  const wait = { timeoutMs: opts.timeoutMs ?? 300_000, ...(opts.clock ? { clock: opts.clock } : {}) };
  if (cluster.provider === 'existing') {
    progress.info(`existing cluster: using its CNI as is (suite cni "${name}" not installed)`);
    return 'skipped';
  }
  if (cluster.provider === 'k3s') {
    progress.info('k3s: flannel + embedded kube-router policy controller (suite cni ignored)');
    await waitForNodesReady(cluster.client, wait);
    return 'builtin';
  }
  if (!cluster.createdByUs) {
    // A reused kind cluster already has its CNI; re-applying is harmless (server-side apply) and
    // waits until it is healthy, which is what the run needs.
    progress.info(`reused cluster: re-applying ${name} (no-op when unchanged)`);
  }
  await cniInstaller(name).install(cluster, opts);
  return 'installed';
}
