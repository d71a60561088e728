// A live reading as the engine's ClusterModel: namespaces with their labels, running pods with IPs,
// ports and nodes, Services, and every NetworkPolicy (and ClusterNetworkPolicy) as read, each with
// a file-like source `<namespace>/<name>` so rule references read `develop/allow-x ingress[0] from[1]`.
// Pure.
import type { ClusterModel, PodModel, Protocol, ServiceModel } from '../policy/model.js';
import { PROFILES, type CniProfile } from '../policy/profiles.js';
import type { ClusterNetworkPolicy, SourcedClusterPolicy } from '../policy/cnp/types.js';
import type { NetworkPolicy, SourcedPolicy } from '../policy/types.js';
import { exportPolicy } from '../discover/transform.js';
import type { LivePod, LiveReading, LiveService } from './live.js';

export const proto = (p: string | undefined): Protocol => (p === 'UDP' || p === 'SCTP' ? p : 'TCP');
export const podId = (p: LivePod): string => `${p.metadata.namespace ?? ''}/${p.metadata.name ?? ''}`;
export const isReady = (p: LivePod): boolean => p.status?.phase === 'Running' && (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Labels a controller stamps per revision or per pod: no selector a person writes relies on them. */
export const VOLATILE_LABELS = new Set(['pod-template-hash', 'controller-revision-hash', 'statefulset.kubernetes.io/pod-name', 'apps.kubernetes.io/pod-index', 'pod-template-generation']);
export const stableLabels = (l: Record<string, string>): Record<string, string> => Object.fromEntries(Object.entries(l).filter(([k]) => !VOLATILE_LABELS.has(k)));

export function podModel(p: LivePod): PodModel {
  const ports = (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []).map((c) => ({ ...(c.name ? { name: c.name } : {}), port: c.containerPort, protocol: proto(c.protocol) }));
  return {
    id: podId(p),
    namespace: p.metadata.namespace ?? '',
    labels: { ...(p.metadata.labels ?? {}) },
    ...(p.status?.podIP ? { ip: p.status.podIP } : {}),
    ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}),
    ...(p.spec?.hostNetwork ? { hostNetwork: true } : {}),
    ports,
  };
}

export function serviceModel(s: LiveService): ServiceModel {
  return {
    id: `${s.metadata.namespace ?? ''}/${s.metadata.name ?? ''}`,
    namespace: s.metadata.namespace ?? '',
    ...(s.spec?.clusterIP && s.spec.clusterIP !== 'None' ? { clusterIP: s.spec.clusterIP } : {}),
    selector: { ...(s.spec?.selector ?? {}) },
    ports: (s.spec?.ports ?? []).map((p) => ({ port: p.port, targetPort: p.targetPort ?? p.port, protocol: proto(p.protocol) })),
  };
}

/** A live NetworkPolicy as the engine's input; its "file" is `<namespace>/<name>`. */
export function sourcedPolicy(o: { metadata: { name?: string; namespace?: string } }, setId = 'live'): SourcedPolicy {
  const policy = exportPolicy(o as never) as unknown as NetworkPolicy;
  return { policy, setId, file: `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`, docIndex: 0 };
}

/** Pods the engine and the probes can talk about: scheduled, not finished, with an address. */
export function livePods(r: LiveReading): LivePod[] {
  return r.pods.filter((p) => p.status?.podIP && p.status.phase !== 'Succeeded' && p.status.phase !== 'Failed' && !p.metadata.deletionTimestamp);
}

export function clusterModel(r: LiveReading, extra: SourcedPolicy[] = []): ClusterModel {
  const cnp: SourcedClusterPolicy[] = r.clusterPolicies.map((o) => ({ policy: exportPolicy(o) as unknown as ClusterNetworkPolicy, setId: 'live', file: `cluster/${o.metadata.name ?? ''}`, docIndex: 0 }));
  return {
    namespaces: r.namespaces.map((n) => ({ name: n.metadata.name ?? '', labels: { ...(n.metadata.labels ?? {}) } })),
    pods: livePods(r).map(podModel),
    externals: [],
    services: r.services.map(serviceModel),
    policies: [...r.policies.map((p) => sourcedPolicy(p)), ...extra],
    ...(cnp.length > 0 ? { clusterPolicies: cnp } : {}),
  };
}

/** The CNI profile from kube-system's pods (calico-node, kube-router, cilium), else upstream semantics. */
export function guessProfile(r: LiveReading): CniProfile {
  const sys = r.pods.filter((p) => p.metadata.namespace === 'kube-system' || p.metadata.namespace === 'calico-system').map((p) => p.metadata.name ?? '');
  if (sys.some((n) => n.startsWith('calico-node'))) return PROFILES.calico!;
  if (sys.some((n) => n.startsWith('kube-router'))) return PROFILES['kube-router']!;
  return PROFILES.upstream!;
}
