// Synthetic clusters for the engine benchmark: namespaces of workloads with replicas, labels in
// the shapes real clusters use (app, tier, team, pod-template-hash), named ports, and policies
// mixing default-deny, DNS allows, same-namespace and cross-namespace selectors, matchExpressions,
// named ports, endPort ranges and ipBlocks (some overlapping the pod subnet, so IP atoms matter).
// Every policy is one the API server accepts (the benchmark asserts the engine drops none).
import { rng } from '../harness/conformance/random/prng.js';
import type { ClusterModel, PodModel } from '../harness/policy/model.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, SourcedPolicy } from '../harness/policy/types.js';

export interface SyntheticSpec {
  namespaces: number;
  workloads: number;
  replicas: number;
  policies: number;
  seed?: number;
}

/** mulberry32 (the engine's differential tests and the random conformance sets use it too). */
export { rng };

const TIERS = ['web', 'api', 'db', 'cache', 'worker'] as const;
const TEAMS = 10;

export interface Synthetic {
  model: ClusterModel;
  /** One pod id per workload (its first replica). */
  representatives: string[];
  /** Pod ids per workload, in the order of `representatives`. */
  replicas: string[][];
}

export function synthesize(spec: SyntheticSpec): Synthetic {
  const r = rng(spec.seed ?? 42);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const nsNames = Array.from({ length: spec.namespaces }, (_, i) => `ns-${i}`);
  const namespaces = nsNames.map((name, i) => ({ name, labels: { team: `t${i % TEAMS}`, env: i % 3 === 0 ? 'prod' : 'dev' } }));
  namespaces.push({ name: 'kube-system', labels: { team: 'platform', env: 'prod' } });
  const pods: PodModel[] = [];
  const representatives: string[] = [];
  const replicas: string[][] = [];
  let ip = 0;
  const nextIp = (): string => {
    const n = ip++;
    // 10.0.0.0/14 holds 262k addresses: replicas get consecutive IPs, as a node's pod CIDR would.
    return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
  };
  for (let w = 0; w < spec.workloads; w++) {
    const ns = nsNames[w % spec.namespaces]!;
    // Tiers vary inside each namespace (workload w lives in namespace w % namespaces).
    const tier = TIERS[Math.floor(w / spec.namespaces) % TIERS.length]!;
    const labels = { app: `w${w}`, tier, team: `t${Math.floor(r() * TEAMS)}`, 'pod-template-hash': `h${w.toString(36)}`, ...(r() < 0.3 ? { version: pick(['v1', 'v2']) } : {}) };
    const ports = [
      { name: 'http', port: tier === 'db' ? 5432 : 8080, protocol: 'TCP' as const },
      { name: 'metrics', port: 9090, protocol: 'TCP' as const },
      ...(tier === 'cache' ? [{ name: 'dns', port: 53, protocol: 'UDP' as const }] : []),
    ];
    const ids: string[] = [];
    for (let k = 0; k < spec.replicas; k++) {
      const id = `${ns}/w${w}-${k}`;
      ids.push(id);
      pods.push({ id, namespace: ns, labels, ip: nextIp(), node: `node-${(w + k) % 20}`, ports });
    }
    representatives.push(ids[0]!);
    replicas.push(ids);
  }
  for (let k = 0; k < 2; k++) {
    pods.push({ id: `kube-system/coredns-${k}`, namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' }, ip: nextIp(), ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  }

  const policies: SourcedPolicy[] = [];
  const add = (ns: string, name: string, spec: NetworkPolicy['spec']): void => {
    policies.push({ policy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: ns }, spec }, setId: 'synthetic', file: 'synthetic.yaml', docIndex: policies.length });
  };
  for (const ns of nsNames) {
    if (policies.length >= spec.policies) break;
    add(ns, 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    if (policies.length >= spec.policies) break;
    add(ns, 'allow-dns', {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] }],
    });
  }
  let i = 0;
  while (policies.length < spec.policies) {
    const nsIndex = i % spec.namespaces;
    const ns = nsNames[nsIndex]!;
    // A workload of this namespace (workload w lives in namespace w % namespaces).
    const w = nsIndex + spec.namespaces * Math.floor(r() * Math.floor(spec.workloads / spec.namespaces));
    const kind = i % 8;
    const target: LabelSelector = r() < 0.5 ? { matchLabels: { app: `w${w}` } } : { matchLabels: { tier: pick(TIERS) } };
    const otherNs = { matchLabels: { 'kubernetes.io/metadata.name': pick(nsNames) } };
    let ingress: NetworkPolicyIngressRule[] | undefined;
    let egress: NetworkPolicyEgressRule[] | undefined;
    switch (kind) {
      case 0:
        ingress = [{ from: [{ podSelector: { matchLabels: { tier: 'web' } } }], ports: [{ port: 'http' }] }];
        break;
      case 1:
        ingress = [{ from: [{ namespaceSelector: { matchLabels: { team: `t${Math.floor(r() * TEAMS)}` } }, podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['web', 'api'] }] } }], ports: [{ port: 8080 }, { port: 9090 }] }];
        break;
      case 2:
        egress = [{ to: [{ podSelector: { matchLabels: { tier: 'db' } } }, { namespaceSelector: otherNs }], ports: [{ port: 5432 }, { port: 8080 }] }];
        break;
      case 3:
        egress = [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/14'] } }], ports: [{ port: 443 }] }];
        ingress = [{ from: [{ namespaceSelector: { matchLabels: { env: 'prod' } } }], ports: [{ port: 9090 }] }];
        break;
      case 4: {
        // The except must lie inside its cidr (the API server rejects it otherwise): same /24.
        const net = `10.0.${Math.floor(r() * 64)}`;
        ingress = [{ from: [{ ipBlock: { cidr: `${net}.0/24`, except: [`${net}.${r() < 0.5 ? 0 : 128}/25`] } }], ports: [{ port: 8000, endPort: 8100 }] }];
        break;
      }
      case 5:
        egress = [{ to: [{ podSelector: { matchExpressions: [{ key: 'version', operator: 'NotIn', values: ['v1'] }, { key: 'tier', operator: 'Exists' }] } }], ports: [{ port: 'metrics' }] }];
        break;
      case 6:
        ingress = [{ from: [{ namespaceSelector: otherNs, podSelector: { matchLabels: { app: `w${Math.floor(r() * spec.workloads)}` } } }] }];
        egress = [{ to: [{ namespaceSelector: otherNs }], ports: [{ port: 'http' }, { protocol: 'UDP', port: 53 }] }];
        break;
      default:
        ingress = [{ from: [{ podSelector: {} }], ports: [{ port: 9090 }] }, { from: [{ namespaceSelector: { matchLabels: { env: 'dev' } } }], ports: [{ port: 'http' }] }];
    }
    add(ns, `p${i}`, { podSelector: target, ...(ingress ? { ingress } : {}), ...(egress ? { egress } : {}), policyTypes: [...(ingress ? ['Ingress' as const] : []), ...(egress ? ['Egress' as const] : [])] });
    i++;
  }
  return { model: { namespaces, pods, externals: [{ id: 'external:api', ip: '203.0.113.10' }], policies, podSubnet: '10.0.0.0/14' }, representatives, replicas };
}
