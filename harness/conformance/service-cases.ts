// The cases through y/svc's Service. ipBlock against Service IPs (spec §1.5 "Service VIPs", §1.7;
// catalogue N30): x/a reaches y/svc through its Service, whose ClusterIP the suite pins
// (workloads[].clusterIP), so a policy can name it. Whether the Service's DNAT happens before or
// after policy is not defined by the API; nearly every implementation judges the backend
// (post-DNAT), and real CNIs have had bugs both ways. The cell through the Service is therefore
// implementation-defined: the verdict reports what the CNI did and what that means, never a
// deviation. The rest of each case (x/a's other egress) is ordinary and shows the policy was
// enforced at all, without which the cell says nothing. Egress ports through a Service (N31) are
// ordinary cases.
import { allow, deny, isolatedOut, np, pod } from './case-dsl.js';
import type { ConformanceCase, ImplementationDefined } from './cases.js';
import { EXTERNAL, SERVICE_BACKEND } from './topology.js';

const BACKEND = `${SERVICE_BACKEND.namespace}/${SERVICE_BACKEND.name}`;
const CELL = { src: 'x/a', col: `${BACKEND}:80/TCP` };
const POST = 'post-DNAT: the policy sees the backend pod IP';
const PRE = 'pre-DNAT: the policy sees the Service ClusterIP';

export const DNAT_REFS = [
  'https://github.com/cloudnativelabs/kube-router/issues/905',
  'https://github.com/aws/amazon-network-policy-controller-k8s/pull/210',
  'https://github.com/cozystack/cozystack/issues/2773',
  'https://github.com/kubernetes-sigs/network-policy-api/issues/203',
];

const NOTE = 'whether a Service\'s DNAT happens before or after policy is not defined by the API (spec §1.5 "Service VIPs"); practically every implementation judges the backend';

export function serviceCases(clusterIP: string, podSubnet: string): ConformanceCase[] {
  const onlyPort80 = [{ port: 80, protocol: 'TCP' as const }];
  const marker = (typical: ImplementationDefined['typical'], readings: ImplementationDefined['readings']): ImplementationDefined[] => [{ ...CELL, typical, readings, note: NOTE, refs: DNAT_REFS }];
  return [
    {
      id: 'ipblock-cluster-ip',
      title: `egress ipBlock ${clusterIP}/32 (y/svc's ClusterIP) port 80: the policy normally sees the backend IP, so it matches nothing`,
      spec: ['N30'],
      features: ['ipblock-service'],
      direction: 'egress',
      throughService: { clusterIP },
      sets: { main: [np('to-cluster-ip', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: `${clusterIP}/32` } }], ports: onlyPort80 }] })] },
      // Everything out of x/a is denied, the ClusterIP cell included (its typical answer).
      steps: [{ change: 'policy-create', apply: ['main'], expect: isolatedOut('x/a') }],
      implementationDefined: marker('deny', { deny: `${POST} (the ClusterIP/32 matches nothing)`, allow: `${PRE} (the ClusterIP/32 matched)` }),
    },
    {
      id: 'ipblock-backend-via-service',
      title: 'egress ipBlock of the pod subnet port 80, reached through y/svc\'s Service: the policy normally sees the backend IP, inside the block',
      spec: ['N30', 'N27', 'N28'],
      features: ['ipblock-service'],
      direction: 'egress',
      throughService: { clusterIP },
      podAddressed: true,
      sets: { main: [np('to-pods-via-service', 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: podSubnet } }], ports: onlyPort80 }] })] },
      steps: [{ change: 'policy-create', apply: ['main'], expect: [...isolatedOut('x/a'), allow('x/a -> *:80/TCP'), deny(`x/a -> external:${EXTERNAL}`)] }],
      implementationDefined: marker('allow', { allow: `${POST} (inside the pod subnet)`, deny: `${PRE} (outside the pod subnet)` }),
    },
    ...targetPortCases(clusterIP),
  ];
}

/**
 * Spec N31 (§1.4: egress ports refer to the backend's port after the Service's DNAT): x/a may reach
 * y/svc's pods on one port only; the probe goes to the Service port 8081, which forwards to 8080.
 * Not implementation-defined: a CNI matching the Service port deviates (the AWS agent's bug, PR #210).
 */
function targetPortCases(clusterIP: string): ConformanceCase[] {
  const toBackend = (name: string, port: number) =>
    np(name, 'x', { podSelector: pod('a'), policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: pod('svc') }], ports: [{ port, protocol: 'TCP' }] }] });
  const common = { spec: ['N31'], features: ['service-target-port' as const], direction: 'egress' as const, throughService: { clusterIP } };
  return [
    {
      ...common,
      id: 'service-target-port',
      title: 'egress to the Service\'s backend on port 8080 (its targetPort; the Service port is 8081): allowed through the Service',
      sets: { main: [toBackend('to-target-port', 8080)] },
      steps: [{ change: 'policy-create', apply: ['main'], expect: [...isolatedOut('x/a'), allow(`x/a -> ${BACKEND}:8080/TCP`)] }],
    },
    {
      ...common,
      id: 'service-port-not-target',
      title: 'egress to the Service\'s backend on port 8081 (the Service port, not the targetPort 8080): denied through the Service',
      sets: { main: [toBackend('to-service-port', 8081)] },
      steps: [{ change: 'policy-create', apply: ['main'], expect: isolatedOut('x/a') }],
    },
  ];
}
