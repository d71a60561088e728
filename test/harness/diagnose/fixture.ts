// A live reading shaped like the seed scenario (suites/zero-trust) after its egress step: develop
// with frontend (2 replicas), backend, production-db and the debug pod; traefik; kube-system with
// CoreDNS. Policies are the seed's files, read as the cluster would return them.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { LivePod, LiveReading, LiveService } from '../../../harness/diagnose/live.js';

const SEED = path.resolve(import.meta.dirname, '../../../suites/zero-trust/policies');

export function seedPolicies(files: string[], ns = 'develop'): KObject[] {
  return files.flatMap((f) =>
    parseAllDocuments(readFileSync(path.join(SEED, `${f}.yaml`), 'utf8'))
      .map((d) => d.toJS() as KObject)
      .filter((o) => o && (o.metadata.namespace ?? ns) === ns)
      .map((o) => ({ ...o, metadata: { ...o.metadata, namespace: ns, uid: 'x', resourceVersion: '1' } })),
  );
}

let ip = 10;
export function pod(ns: string, name: string, labels: Record<string, string>, ports: { name?: string; containerPort: number; protocol?: string }[] = [], opts: { ready?: boolean; owner?: { kind: string; name: string }; node?: string; hostNetwork?: boolean } = {}): LivePod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels, ...(opts.owner ? { ownerReferences: [opts.owner] } : {}) },
    spec: { nodeName: opts.node ?? 'worker', containers: [{ name: 'c', ports }], ...(opts.hostNetwork ? { hostNetwork: true } : {}) },
    status: { phase: 'Running', podIP: `10.244.0.${ip++}`, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

export function service(ns: string, name: string, selector: Record<string, string>, ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[], clusterIP = `10.96.0.${ip++}`): LiveService {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector, clusterIP, ports } };
}

const ns = (name: string, labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } });

/** The seed at its egress-rules step: default deny, DNS, gateway ingress, explicit egress. */
export function seedReading(over: { policies?: KObject[]; pods?: LivePod[]; services?: LiveService[] } = {}): LiveReading {
  const rs = (n: string, h: string) => ({ owner: { kind: 'ReplicaSet', name: `${n}-${h}` } });
  const pods = over.pods ?? [
    pod('develop', 'frontend-aaa11-x1', { app: 'frontend', 'pod-template-hash': 'aaa11' }, [{ name: 'http', containerPort: 3000 }], rs('frontend', 'aaa11')),
    pod('develop', 'frontend-aaa11-x2', { app: 'frontend', 'pod-template-hash': 'aaa11' }, [{ name: 'http', containerPort: 3000 }], rs('frontend', 'aaa11')),
    pod('develop', 'backend-bbb22-y1', { app: 'backend', 'pod-template-hash': 'bbb22' }, [{ name: 'http', containerPort: 8080 }], rs('backend', 'bbb22')),
    pod('develop', 'production-db-ccc33-z1', { app: 'production-db', 'pod-template-hash': 'ccc33' }, [{ name: 'postgres', containerPort: 5432 }], rs('production-db', 'ccc33')),
    pod('develop', 'debug-ddd44-d1', { app: 'debug', 'pod-template-hash': 'ddd44' }, [], rs('debug', 'ddd44')),
    pod('traefik', 'traefik-eee55-t1', { 'app.kubernetes.io/name': 'traefik', 'pod-template-hash': 'eee55' }, [], rs('traefik', 'eee55')),
    pod('kube-system', 'coredns-fff66-c1', { 'k8s-app': 'kube-dns', 'pod-template-hash': 'fff66' }, [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53 }], rs('coredns', 'fff66')),
  ];
  const services = over.services ?? [
    service('develop', 'frontend', { app: 'frontend' }, [{ name: 'http', port: 3000, targetPort: 3000 }]),
    service('develop', 'backend', { app: 'backend' }, [{ name: 'http', port: 8080, targetPort: 'http' }]),
    service('develop', 'production-db', { app: 'production-db' }, [{ name: 'postgres', port: 5432, targetPort: 5432 }]),
    service('kube-system', 'kube-dns', { 'k8s-app': 'kube-dns' }, [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, targetPort: 53 }], '10.96.0.10'),
  ];
  const policies = over.policies ?? [...seedPolicies(['default-deny', 'allow-dns', 'allow-frontend-ingress', 'develop-egress']), ...seedPolicies(['allow-backend-ingress'])];
  return { context: 'kind-test', namespaces: [ns('develop', { env: 'develop' }), ns('traefik'), ns('kube-system'), ns('sandbox', { purpose: 'untrusted' })], pods, services, policies, clusterPolicies: [] };
}
