// Which CNI a cluster runs, read from its node agents' DaemonSets (and k3s's kubelet version),
// never guessed from flags or the host's defaults: `--provider existing` judges a cluster the
// harness did not set up, and the engine profile and every report must name what enforces there.
// `identifyCni` is pure (tests feed it DaemonSet fixtures); `detectCni` lists them (read only).
import type { KubeClient } from '../kube-client.js';
import type { KObject } from '../kube-types.js';
import { apiErrorMessage } from '../kube-client.js';
import { kubeProxyMode } from './calico.js';

export interface DetectedCni {
  /** `calico`, `kube-router`, `cilium`, `antrea`, `weave`, `kindnet`, `flannel`, or `unknown`. */
  name: string;
  /** The agent image's tag (`v3.32.1`), when it has one. */
  version?: string;
  /** Calico: the Felix dataplane (`iptables`, `nftables`, `bpf`) from calico-node's settings. */
  dataplane?: string;
  /** What the answer rests on, e.g. "DaemonSet calico-system/calico-node (image quay.io/calico/node:v3.32.1)". */
  evidence: string;
}

type Container = { name: string; image?: string; env?: { name: string; value?: string }[] };
type DaemonSetLike = KObject & { spec?: { template?: { spec?: { containers?: Container[] } } } };

/**
 * Node agents we recognise, in the order their enforcement wins when several run (Calico enforces
 * under canal and flannel; flannel alone enforces nothing). `container`: the one whose tag is the version.
 */
const AGENTS: { name: string; daemonSets: string[]; container: RegExp }[] = [
  { name: 'calico', daemonSets: ['calico-node', 'canal'], container: /^calico-node$/ },
  { name: 'cilium', daemonSets: ['cilium'], container: /^cilium-agent$/ },
  { name: 'antrea', daemonSets: ['antrea-agent'], container: /^antrea-agent$/ },
  { name: 'kube-router', daemonSets: ['kube-router'], container: /^kube-router$/ },
  { name: 'weave', daemonSets: ['weave-net'], container: /^weave$/ },
  { name: 'kindnet', daemonSets: ['kindnet'], container: /^kindnet-cni$/ },
  { name: 'flannel', daemonSets: ['kube-flannel-ds', 'kube-flannel'], container: /^kube-flannel$/ },
];

/** Namespaces the agents above are installed in (manifests, operators, charts). */
export const AGENT_NAMESPACES = ['kube-system', 'calico-system', 'kube-flannel', 'cilium'];

/** `quay.io/calico/node:v3.32.1` -> `v3.32.1`; a digest-only or untagged image has none. */
export function imageTag(image: string | undefined): string | undefined {
  if (!image) return undefined;
  const name = image.split('@')[0]!;
  const i = name.lastIndexOf(':');
  return i > name.lastIndexOf('/') ? name.slice(i + 1) || undefined : undefined;
}

/**
 * Felix's dataplane from calico-node's environment, else from the `default` FelixConfiguration's
 * spec; `Auto` (or nothing) follows kube-proxy's mode, as Felix does.
 */
export function calicoDataplane(env: Record<string, string | undefined>, felix: { bpfEnabled?: boolean; nftablesMode?: string } | undefined, kubeProxyMode: string | undefined): string {
  const bpf = env.FELIX_BPFENABLED ?? (felix?.bpfEnabled !== undefined ? String(felix.bpfEnabled) : undefined);
  if (bpf?.toLowerCase() === 'true') return 'bpf';
  const nft = (env.FELIX_NFTABLESMODE ?? felix?.nftablesMode ?? 'Auto').toLowerCase();
  if (nft === 'enabled') return 'nftables';
  if (nft === 'disabled') return 'iptables';
  return kubeProxyMode === 'nftables' ? 'nftables' : 'iptables';
}

export interface ClusterFacts {
  daemonSets: DaemonSetLike[];
  /** Nodes' kubelet versions (k3s builds its policy controller in: `v1.31.4+k3s1`). */
  kubeletVersions?: string[];
  felix?: { bpfEnabled?: boolean; nftablesMode?: string };
  kubeProxyMode?: string;
  /** Why some of the above could not be read (RBAC, API errors): said in the evidence. */
  unreadable?: string[];
}

/** Pure: the enforcing CNI from what the cluster shows. */
export function identifyCni(facts: ClusterFacts): DetectedCni {
  for (const agent of AGENTS) {
    const ds = facts.daemonSets.find((d) => agent.daemonSets.includes(d.metadata.name ?? ''));
    if (!ds) continue;
    const containers = ds.spec?.template?.spec?.containers ?? [];
    const c = containers.find((x) => agent.container.test(x.name)) ?? containers[0];
    const version = imageTag(c?.image);
    const where = `DaemonSet ${ds.metadata.namespace ?? '?'}/${ds.metadata.name}${c?.image ? ` (image ${c.image})` : ''}`;
    const out: DetectedCni = { name: agent.name, ...(version ? { version } : {}), evidence: where };
    if (agent.name === 'calico') {
      const env = Object.fromEntries((c?.env ?? []).map((e) => [e.name, e.value]));
      out.dataplane = calicoDataplane(env, facts.felix, facts.kubeProxyMode);
    }
    return out;
  }
  const k3s = facts.kubeletVersions?.find((v) => /\+k3s/.test(v));
  if (k3s) return { name: 'kube-router', version: k3s, evidence: `k3s (kubelet ${k3s}) embeds kube-router's network policy controller` };
  const why = facts.unreadable?.length ? `; could not read: ${facts.unreadable.join('; ')}` : '';
  return { name: 'unknown', evidence: `no recognised CNI agent DaemonSet in ${AGENT_NAMESPACES.join(', ')}${why}` };
}

/** Reads the cluster (lists only) and identifies its CNI; never throws: what it cannot read it says. */
export async function detectCni(client: KubeClient): Promise<DetectedCni> {
  const unreadable: string[] = [];
  const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await f();
    } catch (e) {
      unreadable.push(`${what} (${apiErrorMessage(e)})`);
      return undefined;
    }
  };
  const daemonSets: DaemonSetLike[] = [];
  for (const ns of AGENT_NAMESPACES) daemonSets.push(...((await attempt(`DaemonSets in ${ns}`, () => client.list<DaemonSetLike>('apps/v1', 'DaemonSet', { namespace: ns }))) ?? []));
  const facts: ClusterFacts = { daemonSets, unreadable };
  if (!daemonSets.some((d) => AGENTS.some((a) => a.daemonSets.includes(d.metadata.name ?? '')))) {
    const nodes = (await attempt('Nodes', () => client.list<KObject & { status?: { nodeInfo?: { kubeletVersion?: string } } }>('v1', 'Node'))) ?? [];
    facts.kubeletVersions = nodes.map((n) => n.status?.nodeInfo?.kubeletVersion ?? '');
  } else if (daemonSets.some((d) => AGENTS[0]!.daemonSets.includes(d.metadata.name ?? ''))) {
    // Calico's dataplane may also come from its FelixConfiguration, and Auto follows kube-proxy.
    const felix = await client.get<KObject & { spec?: ClusterFacts['felix'] }>({ apiVersion: 'crd.projectcalico.org/v1', kind: 'FelixConfiguration', name: 'default' }).catch(() => undefined);
    if (felix?.spec) facts.felix = felix.spec;
    const mode = await kubeProxyMode(client);
    if (mode !== undefined) facts.kubeProxyMode = mode;
  }
  return identifyCni(facts);
}

/** `calico v3.32.1 (nftables dataplane)` */
export function describeCni(d: Pick<DetectedCni, 'name' | 'version' | 'dataplane'>): string {
  return `${d.name}${d.version ? ` ${d.version}` : ''}${d.dataplane ? ` (${d.dataplane} dataplane)` : ''}`;
}
