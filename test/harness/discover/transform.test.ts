import { expect } from 'chai';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { discoverSuite, exportPolicy, workloadPorts, type ClusterReading } from '../../../harness/discover/index.js';
import { Suite } from '../../../harness/suite/schema.js';

const ns = (name: string, labels: Record<string, string> = {}): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels }, uid: 'u' } });
const deployment = (name: string, namespace: string, labels: Record<string, string>, ports: { containerPort: number; protocol?: string; name?: string }[], kind = 'Deployment'): KObject => ({
  apiVersion: 'apps/v1',
  kind,
  metadata: { name, namespace },
  spec: { template: { metadata: { labels }, spec: { containers: [{ name: 'c', ports }] } } },
});
const policy = (name: string, namespace: string, spec: Record<string, unknown>): KObject => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace, uid: 'x', resourceVersion: '3', generation: 1, creationTimestamp: 't', managedFields: [{}], annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  spec,
});

function reading(): ClusterReading {
  return {
    context: 'Staging_EU',
    cni: 'kube-router',
    namespaces: [ns('shop', { team: 'a', 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/run': 'r1' }), ns('default')],
    controllers: [
      deployment('web', 'shop', { app: 'web' }, [{ containerPort: 8080, name: 'http' }]),
      deployment('db', 'shop', { app: 'db' }, [{ containerPort: 5432 }], 'StatefulSet'),
      deployment('Bad.Name', 'shop', { app: 'x' }, []),
      deployment('web', 'shop', { app: 'web2' }, [], 'DaemonSet'),
    ],
    services: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }, { port: 81, targetPort: 9090, protocol: 'UDP' }, { port: 82, targetPort: 'http' }] } }],
    policies: [
      policy('deny', 'shop', { podSelector: {}, policyTypes: ['Ingress'] }),
      policy('bad', 'shop', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: 'not-a-cidr' } }] }] }),
      policy('in-default', 'default', { podSelector: {} }),
    ],
  };
}

describe('discover/transform', () => {
  it('exports policies without server fields or kubectl annotations', () => {
    expect(exportPolicy(reading().policies[0]!)).to.deep.equal({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'deny', namespace: 'shop' }, spec: { podSelector: {}, policyTypes: ['Ingress'] } });
  });

  it('takes container ports and the numeric target ports of Services selecting the pods', () => {
    const r = reading();
    expect(workloadPorts(r.controllers[0]!, r.services)).to.deep.equal([
      { port: 8080, protocol: 'TCP', name: 'http' },
      { port: 9090, protocol: 'UDP' },
    ]);
  });

  it('writes a suite the schema accepts, listing what it left out and why', () => {
    const d = discoverSuite(reading(), { refs: false });
    const suite = Suite.parse(d.suite);
    expect(suite.metadata.name).to.equal('discovered-staging-eu');
    expect(suite.cluster).to.deep.include({ provider: 'existing', cni: 'kube-router' });
    expect(suite.cluster.name).to.equal(undefined); // not a DNS label: run takes --context
    // default cannot be declared; the harness's own namespace labels are not the user's.
    expect(suite.namespaces).to.deep.equal([{ name: 'shop', labels: { team: 'a' } }]);
    expect(suite.workloads.map((w) => `${w.namespace}/${w.name}`)).to.deep.equal(['shop/web', 'shop/db']); // by kind, then name
    expect(suite.workloads.every((w) => w.existing)).to.equal(true);
    expect(suite.steps).to.have.length(1);
    expect(suite.steps[0]!.expect).to.equal('simulated');
    expect(suite.steps[0]!.apply).to.deep.equal(['shop']);
    expect([...d.policyFiles.keys()]).to.deep.equal(['policies/shop.yaml']);
    expect(d.policyFiles.get('policies/shop.yaml')!.map((p) => p.metadata.name)).to.deep.equal(['deny']);
    expect(d.unsupported.map((u) => u.policy)).to.deep.equal(['default/in-default', 'shop/bad']);
    expect(d.unsupported[1]!.reasons.join()).to.match(/cidr/i);
    expect(d.skipped).to.have.length(2);
    expect(d.skipped.join('\n')).to.include('Bad.Name').and.include('daemonset/web');
  });

  it('with refs, workloads name their controller and are sources', () => {
    const d = discoverSuite(reading(), { refs: true });
    const w = (d.suite.workloads as Record<string, unknown>[]).find((x) => x.name === 'db')!;
    expect(w).to.deep.include({ ref: 'statefulset/db', source: true, existing: true });
  });
});
