// `none`: no CNI install. On kind this keeps kindnet, which does not enforce NetworkPolicy: a
// baseline showing what a suite observes on a non-enforcing cluster (the canary will say so).
import { silentProgress, withStep } from '../progress.js';
import type { Cluster } from '../provider.js';
import { waitForNodesReady } from '../wait.js';
import type { CniInstallOptions, CniInstaller } from './types.js';

export const noneInstaller: CniInstaller = {
  name: 'none',
  images() {
    return Promise.resolve([]);
  },
  async install(cluster: Cluster, opts: CniInstallOptions = {}) {
    const progress = opts.progress ?? silentProgress;
    // kind was created with --wait 0s; the default CNI still has to bring the nodes up.
    await withStep(progress, 'waiting for nodes to be Ready (default CNI)', () =>
      waitForNodesReady(cluster.client, { timeoutMs: opts.timeoutMs ?? 300_000, ...(opts.clock ? { clock: opts.clock } : {}) }),
    );
  },
};
