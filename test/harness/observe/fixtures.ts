// Cluster state for observe tests: pods of endpoints on nodes, in a FakeKube.
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { WatchTarget } from '../../../harness/observe/snapshot.js';
import { FakeKube } from '../cluster/fake-kube.js';

export function node(name: string, ready = true): KObject {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown', ...(ready ? {} : { reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }) }] } };
}

export function pod(ns: string, name: string, endpoint: string, nodeName: string, over: { ready?: boolean; restarts?: number; uid?: string; labels?: Record<string, string>; reason?: string; ip?: string; readyAgoMs?: number; readyAt?: number; startedAt?: number } = {}): KObject {
  const ready = over.ready ?? true;
  // readyAt/startedAt: ms since the epoch on a test's own (fake) clock.
  const readySince = over.readyAt ?? (over.readyAgoMs !== undefined ? Date.now() - over.readyAgoMs : undefined);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, uid: over.uid ?? `uid-${name}`, labels: over.labels ?? { 'netpol-harness/endpoint': endpoint } },
    spec: { nodeName },
    status: {
      phase: 'Running',
      podIP: over.ip ?? '10.244.1.5',
      ...(over.reason ? { reason: over.reason } : {}),
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False', ...(readySince !== undefined ? { lastTransitionTime: new Date(readySince).toISOString() } : {}) }],
      containerStatuses: [
        {
          name: 'agent',
          ready,
          restartCount: over.restarts ?? 0,
          state: { running: over.startedAt !== undefined ? { startedAt: new Date(over.startedAt).toISOString() } : {} },
          ...(over.restarts ? { lastState: { terminated: { reason: 'Error', exitCode: 137 } } } : {}),
        },
      ],
    },
  };
}

/** Two workloads (web on w1, db on w2), a probe on w1, CoreDNS on the control plane. */
export function cluster(): FakeKube {
  const k = new FakeKube();
  for (const n of ['cp', 'w1', 'w2']) k.put(node(n));
  k.put(pod('shop', 'web-1', 'web', 'w1'));
  k.put(pod('shop', 'db-1', 'db', 'w2'));
  k.put(pod('shop', 'client-1', 'client', 'w1'));
  k.put(pod('kube-system', 'coredns-1', '', 'cp', { labels: { 'k8s-app': 'kube-dns' } }));
  return k;
}

export const TARGETS: WatchTarget[] = [
  { endpoint: 'shop/web', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'web' }, agent: true },
  { endpoint: 'shop/db', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'db' }, agent: true },
  { endpoint: 'shop/client', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'client' }, agent: true },
  { endpoint: 'cluster-dns', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, agent: false, clusterService: true },
];
