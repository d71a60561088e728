// The live state and suite steps the change-plan and rollback tests start from: a namespace demo
// with one policy `deny` (client-side applied: kubectl's annotation), three policy sets and steps
// that create, tighten, remove and relabel.
import type { LiveState } from '../../../harness/apply/change-plan.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';

export function np(name: string, spec: NetworkPolicy['spec'], labels?: Record<string, string>): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: 'demo', ...(labels ? { labels } : {}) }, spec };
}
function sets(entries: Record<string, NetworkPolicy[]>): Map<string, SourcedPolicy[]> {
  return new Map(Object.entries(entries).map(([id, list]) => [id, list.map((policy, docIndex) => ({ policy, setId: id, file: `${id}.yaml`, docIndex }))]));
}
export const existingDeny = { ...(np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' }) as unknown as KObject), metadata: { name: 'deny', namespace: 'demo', labels: { owner: 'ops' }, uid: 'u', resourceVersion: '7', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' } } };
export function live(): LiveState {
  return { policies: new Map([['demo/deny', existingDeny]]), namespaces: new Map([['demo', { 'kubernetes.io/metadata.name': 'demo', team: 'a' }]]) };
}
export const policies = sets({
  same: [np('deny', { podSelector: {}, policyTypes: ['Ingress'] }, { owner: 'ops' })],
  tighter: [np('deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] })],
  web: [np('allow-web', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] })],
});
export const steps = [
  { name: 's1', apply: ['same', 'web'], remove: [], labels: [] },
  { name: 's2', apply: ['tighter'], remove: ['web'], labels: [{ target: 'namespace/demo', set: { team: 'b', zone: 'x' }, remove: [] }] },
  { name: 's3', apply: [], remove: ['tighter'], labels: [{ target: 'namespace/demo', set: {}, remove: ['team'] }] },
];
