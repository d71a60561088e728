// Calico, pinned, from the official manifest (URL or local file). Applied server-side: its CRDs
// exceed the 256 KiB last-applied annotation client-side apply would write.
import { withStep, silentProgress } from '../progress.js';
import type { Cluster } from '../provider.js';
import { waitForDaemonSet, waitForDeployment, waitForNodesReady } from '../wait.js';
import { applyObjects, parseManifest, readManifestText } from './manifest.js';
import type { CniInstallOptions, CniInstaller } from './types.js';
import type { KObject } from '../kube-types.js';

export const CALICO_VERSION = 'v3.32.1';
/** Only fetched on machines with internet access; air-gapped hosts pass a local copy. */
export const CALICO_MANIFEST_URL = `https://raw.githubusercontent.com/projectcalico/calico/${CALICO_VERSION}/manifests/calico-vxlan.yaml`;
export const CALICO_IMAGES = [`quay.io/calico/node:${CALICO_VERSION}`, `quay.io/calico/cni:${CALICO_VERSION}`, `quay.io/calico/kube-controllers:${CALICO_VERSION}`];

/** Every container image a manifest's pod templates reference. */
export function manifestImages(objects: KObject[]): string[] {
  const out = new Set<string>();
  for (const o of objects) {
    const pod = (o.spec as { template?: { spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } } | undefined)?.template?.spec;
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) if (c.image) out.add(c.image);
  }
  return [...out];
}

const HINT =
  'check `kubectl -n kube-system get pods -l k8s-app=calico-node` and its logs; on hosts without registry access the calico images must be preloaded (quay.io/calico/*:' +
  CALICO_VERSION +
  ')';

export const calicoInstaller: CniInstaller = {
  name: 'calico',
  async images(opts = {}) {
    if (!opts.calicoManifest) return [...CALICO_IMAGES];
    return manifestImages(parseManifest(await readManifestText(opts.calicoManifest, opts.fetch), opts.calicoManifest));
  },
  async install(cluster: Cluster, opts: CniInstallOptions = {}) {
    const progress = opts.progress ?? silentProgress;
    const source = opts.calicoManifest ?? CALICO_MANIFEST_URL;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const clock = opts.clock ? { clock: opts.clock } : {};
    const objects = parseManifest(await readManifestText(source, opts.fetch), source);
    await withStep(progress, `applying Calico ${CALICO_VERSION} (${objects.length} objects, server-side)`, () => applyObjects(cluster.client, objects, clock));
    await withStep(progress, 'waiting for calico-node and calico-kube-controllers', async () => {
      await waitForDaemonSet(cluster.client, 'kube-system', 'calico-node', { timeoutMs, hint: HINT, ...clock });
      await waitForDeployment(cluster.client, 'kube-system', 'calico-kube-controllers', { timeoutMs, hint: HINT, ...clock });
    });
    await withStep(progress, 'waiting for nodes to be Ready', () => waitForNodesReady(cluster.client, { timeoutMs, hint: HINT, ...clock }));
  },
};
