// kube-router from clusters/cni/kube-router.yaml: pod networking (bridge + host-local on node
// podCIDRs, routes between nodes) and NetworkPolicy enforcement (iptables/ipset); kube-proxy
// keeps serving Services. The enforcing CNI on hosts that cannot build Calico's images.
import { InfraError } from '../../errors.js';
import type { KObject } from '../kube-types.js';
import { findPackageFile, setting } from '../paths.js';
import { silentProgress, withStep } from '../progress.js';
import type { Cluster } from '../provider.js';
import { waitForDaemonSet, waitForNodesReady } from '../wait.js';
import { applyObjects, parseManifest, readManifestText } from './manifest.js';
import type { CniInstallOptions, CniInstaller } from './types.js';

export const KUBE_ROUTER_VERSION = 'v2.10.0';
export const KUBE_ROUTER_IMAGE = `docker.io/cloudnativelabs/kube-router:${KUBE_ROUTER_VERSION}`;
export const KUBE_ROUTER_MANIFEST = 'clusters/cni/kube-router.yaml';

export function kubeRouterImage(opts: CniInstallOptions = {}): string {
  return setting(opts.kubeRouterImage, 'NPH_KUBE_ROUTER_IMAGE', KUBE_ROUTER_IMAGE)!;
}

/** The manifest's objects with every kube-router container on `image` (pure). */
export function withKubeRouterImage(objects: KObject[], image: string): KObject[] {
  return objects.map((o) => {
    if (o.kind !== 'DaemonSet') return o;
    const copy = structuredClone(o);
    const pod = (copy.spec as { template: { spec: { containers?: { image?: string }[]; initContainers?: { image?: string }[] } } }).template.spec;
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])]) if (c.image?.includes('kube-router')) c.image = image;
    return copy;
  });
}

async function loadKubeRouterManifest(opts: CniInstallOptions): Promise<KObject[]> {
  const file = opts.kubeRouterManifest ?? findPackageFile(KUBE_ROUTER_MANIFEST);
  if (!file) throw new InfraError(`${KUBE_ROUTER_MANIFEST} not found next to the harness`, { hint: 'reinstall netpol-harness, or pass the manifest path' });
  return withKubeRouterImage(parseManifest(await readManifestText(file), file), kubeRouterImage(opts));
}

const HINT = 'check `kubectl -n kube-system get pods -l k8s-app=kube-router` and `kubectl -n kube-system logs ds/kube-router -c install-cni`';

export const kubeRouterInstaller: CniInstaller = {
  name: 'kube-router',
  images(opts = {}) {
    return Promise.resolve([kubeRouterImage(opts)]);
  },
  async install(cluster: Cluster, opts: CniInstallOptions = {}) {
    const progress = opts.progress ?? silentProgress;
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const clock = opts.clock ? { clock: opts.clock } : {};
    const objects = await loadKubeRouterManifest(opts);
    await withStep(progress, `applying kube-router ${KUBE_ROUTER_VERSION}`, () => applyObjects(cluster.client, objects, clock));
    await withStep(progress, 'waiting for kube-router on every node', () => waitForDaemonSet(cluster.client, 'kube-system', 'kube-router', { timeoutMs, hint: HINT, ...clock }));
    await withStep(progress, 'waiting for nodes to be Ready', () => waitForNodesReady(cluster.client, { timeoutMs, hint: HINT, ...clock }));
  },
};
