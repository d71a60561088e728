// Calico, pinned, from the official manifest (URL or local file). Applied server-side: its CRDs
// exceed the 256 KiB last-applied annotation client-side apply would write.
import { parse } from 'yaml';
import { InfraError } from '../../errors.js';
import { withStep, silentProgress } from '../progress.js';
import type { Cluster } from '../provider.js';
import { waitForDaemonSet, waitForDeployment, waitForNodesReady } from '../wait.js';
import { applyObjects, parseManifest, readManifestText } from './manifest.js';
import type { CalicoDataplane, CniInstallOptions, CniInstaller } from './types.js';
import type { KObject } from '../kube-types.js';
import type { KubeClient } from '../kube-client.js';

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

/** The Felix setting that picks the dataplane, and its value per dataplane (Calico docs: "Calico nftables data plane"). */
export const NFTABLES_MODE_ENV = 'FELIX_NFTABLESMODE';
const NFTABLES_MODE: Record<CalicoDataplane, string> = { iptables: 'Disabled', nftables: 'Enabled' };

type EnvVar = { name: string; value?: string; valueFrom?: unknown };
type PodSpec = { containers?: { name: string; env?: EnvVar[] }[] };

/**
 * The manifest's objects with calico-node's Felix on the given dataplane (pure; the input is not
 * changed). Explicit for iptables too: Felix's default, Auto, follows kube-proxy's mode, so the
 * recorded dataplane would otherwise depend on the cluster. Returns the value it replaced, if any.
 */
export function withCalicoDataplane(objects: KObject[], dataplane: CalicoDataplane, source: string): { objects: KObject[]; replaced?: string } {
  let found = false;
  let replaced: string | undefined;
  const out = objects.map((o) => {
    if (o.kind !== 'DaemonSet' || o.metadata.name !== 'calico-node') return o;
    const copy = structuredClone(o);
    const container = ((copy.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec?.containers ?? []).find((c) => c.name === 'calico-node');
    if (!container) return o;
    found = true;
    const env = (container.env ??= []);
    const i = env.findIndex((e) => e.name === NFTABLES_MODE_ENV);
    const entry = { name: NFTABLES_MODE_ENV, value: NFTABLES_MODE[dataplane] };
    if (i >= 0) {
      replaced = env[i]!.value ?? '(valueFrom)';
      env[i] = entry;
    } else env.push(entry);
    return copy;
  });
  if (!found) {
    throw new InfraError(`${source}: no DaemonSet calico-node with a container calico-node, so --calico-dataplane ${dataplane} cannot be set`, {
      hint: `use the pinned manifest (${CALICO_MANIFEST_URL}) or one derived from it`,
    });
  }
  return replaced !== undefined && replaced !== NFTABLES_MODE[dataplane] ? { objects: out, replaced } : { objects: out };
}

/** kube-proxy's mode from its kubeadm ConfigMap ('' = the platform default, iptables), or undefined when unknown. */
export async function kubeProxyMode(client: KubeClient): Promise<string | undefined> {
  try {
    const cm = await client.get<KObject & { data?: Record<string, string> }>({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'kube-system', name: 'kube-proxy' });
    const conf = cm?.data?.['config.conf'];
    if (conf === undefined) return undefined;
    const mode = (parse(conf) as { mode?: unknown } | null)?.mode;
    return typeof mode === 'string' ? mode : '';
  } catch {
    return undefined;
  }
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
    const dataplane = opts.calicoDataplane ?? 'iptables';
    const patched = withCalicoDataplane(parseManifest(await readManifestText(source, opts.fetch), source), dataplane, source);
    const objects = patched.objects;
    if (patched.replaced !== undefined) progress.warn(`${source} sets ${NFTABLES_MODE_ENV}=${patched.replaced}; replaced by ${NFTABLES_MODE[dataplane]} (--calico-dataplane ${dataplane})`);
    if (dataplane === 'nftables') {
      // Calico's nftables mode needs kube-proxy in nftables mode too; kind clusters the harness creates get it.
      const mode = await kubeProxyMode(cluster.client);
      if (mode !== undefined && mode !== 'nftables') {
        progress.warn(`kube-proxy runs in ${mode || 'iptables'} mode; Calico's nftables dataplane expects kube-proxy in nftables mode (a reused cluster keeps the mode it was created with)`);
      }
    }
    await withStep(progress, `applying Calico ${CALICO_VERSION}, ${dataplane} dataplane (${objects.length} objects, server-side)`, () => applyObjects(cluster.client, objects, clock));
    await withStep(progress, 'waiting for calico-node and calico-kube-controllers', async () => {
      await waitForDaemonSet(cluster.client, 'kube-system', 'calico-node', { timeoutMs, hint: HINT, ...clock });
      await waitForDeployment(cluster.client, 'kube-system', 'calico-kube-controllers', { timeoutMs, hint: HINT, ...clock });
    });
    await withStep(progress, 'waiting for nodes to be Ready', () => waitForNodesReady(cluster.client, { timeoutMs, hint: HINT, ...clock }));
  },
};
