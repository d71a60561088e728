import { expect } from 'chai';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { discoverSuite, exportPolicy, parseExternalFlag, workloadPorts, writeDiscovered, type ClusterReading } from '../../../harness/discover/index.js';
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

  it('takes container ports and the target ports of Services selecting the pods', () => {
    const r = reading();
    expect(workloadPorts(r.controllers[0]!, r.services)).to.deep.equal([
      { port: 8080, protocol: 'TCP', name: 'http' },
      { port: 9090, protocol: 'UDP' },
    ]);
  });

  it('reads bare pods (kubectl run) as workloads: one by name, identical labels grouped, ports from their Service; says what it skipped and why', () => {
    const pod = (name: string, labels: Record<string, string>, extra: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KObject => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default', labels, ...meta },
      spec: { containers: [{ name: 'c' }], ...((extra.spec) ?? {}) },
      status: { phase: (extra.phase as string | undefined) ?? 'Running' },
    });
    const r: ClusterReading = {
      context: 'kind-x',
      namespaces: [ns('default')],
      controllers: [deployment('api', 'default', { app: 'api' }, [])],
      clusterDns: true,
      services: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { selector: { run: 'web' }, ports: [{ port: 80, targetPort: 80 }] } }],
      policies: [],
      pods: [
        pod('web', { run: 'web' }),
        pod('cache-1', { app: 'cache' }),
        pod('cache-2', { app: 'cache' }),
        pod('api-7d9-abc', { app: 'api', 'pod-template-hash': '7d9' }, {}, { ownerReferences: [{ kind: 'ReplicaSet', name: 'api-7d9', controller: true }] }),
        pod('migrate-x', { 'job-name': 'migrate' }, {}, { ownerReferences: [{ kind: 'Job', name: 'migrate', controller: true }] }),
        pod('done', { run: 'done' }, { phase: 'Succeeded' }),
        pod('host', { run: 'host' }, { spec: { hostNetwork: true } }),
      ],
    };
    const d = discoverSuite(r, { refs: true });
    const suite = Suite.parse(d.suite);
    const byName = new Map(suite.workloads.map((w) => [w.name, w]));
    // The Deployment's own pod is covered by the Deployment, not repeated.
    expect([...byName.keys()]).to.deep.equal(['api', 'cache', 'migrate', 'web']);
    expect(byName.get('web')).to.deep.include({ ref: 'pod/web', source: true, existing: true, labels: { run: 'web' }, ports: [{ port: 80, protocol: 'TCP' }] });
    expect(byName.get('cache')!.ref, 'two pods: found by their labels').to.equal(undefined);
    expect(byName.get('cache')!.labels).to.deep.equal({ app: 'cache' });
    expect(byName.get('migrate')!.labels).to.deep.equal({ 'job-name': 'migrate' });
    expect(d.skipped.join('\n')).to.include('pod/done in default: it has finished (Succeeded)').and.include('pod/host in default: it uses the node\'s network');
    expect(suite.probe.dnsNames).to.deep.equal(['kubernetes.default.svc.cluster.local']);
  });

  it('--no-attacker leaves the attacker out; --external writes an external inside its CIDR', () => {
    const d = discoverSuite(reading(), { refs: true, attacker: false, externals: [parseExternalFlag('payments=203.0.113.0/24:443')] });
    const suite = Suite.parse(d.suite);
    expect(suite.probes).to.deep.equal([]);
    expect(suite.namespaces.map((n) => n.name)).to.not.include('nph-attacker');
    expect(suite.externals).to.deep.equal([{ name: 'payments', ip: '203.0.113.1', ports: [{ port: 443, protocol: 'TCP' }], source: false }]);
    // What it is and is not: offline verdicts at the CIDR's first address; a run never probes the CIDR.
    expect(d.warnings).to.have.length(1);
    expect(d.warnings[0]).to.include('external payments (203.0.113.0/24:443) is written with 203.0.113.1').and.include('run --provider existing refuses externals').and.include('outside 203.0.113.0/24, so ipBlocks of 203.0.113.0/24 do not match it there');
    expect(d.externalsComment.join(' ')).to.include('From --external payments=203.0.113.0/24:443.').and.include('on kind an external is a container the harness starts at its own address');
    expect(discoverSuite(reading(), { refs: true }).warnings).to.deep.equal([]);
    expect(() => parseExternalFlag('payments=203.0.113.0/24')).to.throw(/<name>=<cidr>:<port>/);
    expect(() => parseExternalFlag('p=10.0.0.0/33:80')).to.throw(/prefix length/);
  });

  it('the written suite.yaml says above its externals what they are; the comment changes nothing it holds', async () => {
    const d = discoverSuite(reading(), { refs: true, externals: [parseExternalFlag('payments=203.0.113.0/24:443'), parseExternalFlag('ledger=198.51.100.7/32:5432')] });
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-discover-'));
    await writeDiscovered(d, dir);
    const text = await readFile(path.join(dir, 'suite.yaml'), 'utf8');
    const lines = text.split('\n');
    const at = lines.indexOf('externals:');
    expect(lines.slice(at - d.externalsComment.length, at)).to.deep.equal(d.externalsComment.map((l) => `# ${l}`));
    expect(lines[at - d.externalsComment.length]).to.equal('# From --external payments=203.0.113.0/24:443 ledger=198.51.100.7/32:5432. Each has the first address of its CIDR,');
    expect(parse(text)).to.deep.equal(d.suite);
    expect(Suite.parse(parse(text)).externals.map((e) => e.ip)).to.deep.equal(['203.0.113.1', '198.51.100.7']);
  });

  it('writes a suite the schema accepts, listing what it left out and why', () => {
    const d = discoverSuite(reading(), { refs: false });
    const suite = Suite.parse(d.suite);
    expect(suite.metadata.name).to.equal('discovered-staging-eu');
    expect(suite.cluster).to.deep.include({ provider: 'existing', cni: 'kube-router' });
    expect(suite.cluster.name).to.equal(undefined); // not a DNS label: run takes --context
    // Read namespaces exist (default too): the run never creates or deletes them. The harness's own
    // namespace labels are not the user's. The attacker gets a fresh namespace.
    expect(suite.namespaces).to.deep.equal([
      { name: 'default', labels: {}, existing: true },
      { name: 'shop', labels: { team: 'a' }, existing: true },
      { name: 'nph-attacker', labels: {}, existing: false },
    ]);
    expect(suite.probes).to.deep.equal([{ name: 'attacker', namespace: 'nph-attacker', labels: {} }]);
    expect(suite.workloads.map((w) => `${w.namespace}/${w.name}`)).to.deep.equal(['shop/web', 'shop/db']); // by kind, then name
    expect(suite.workloads.every((w) => w.existing)).to.equal(true);
    expect(suite.steps).to.have.length(1);
    expect(suite.steps[0]!.expect).to.equal('simulated');
    expect(suite.steps[0]!.apply).to.deep.equal(['default', 'shop']);
    expect([...d.policyFiles.keys()]).to.deep.equal(['policies/default.yaml', 'policies/shop.yaml']);
    expect(d.policyFiles.get('policies/shop.yaml')!.map((p) => p.metadata.name)).to.deep.equal(['deny']);
    expect(d.policyFiles.get('policies/default.yaml')!.map((p) => p.metadata.name)).to.deep.equal(['in-default']);
    expect(d.unsupported.map((u) => u.policy)).to.deep.equal(['shop/bad']);
    expect(d.unsupported[0]!.reasons.join()).to.match(/cidr/i);
    expect(suite.probe.dnsNames, 'no CoreDNS read: no DNS check').to.equal(undefined);
    expect(d.skipped).to.have.length(2);
    expect(d.skipped.join('\n')).to.include('Bad.Name').and.include('daemonset/web');
  });

  it('with refs, workloads name their controller and are sources', () => {
    const d = discoverSuite(reading(), { refs: true });
    const w = (d.suite.workloads as Record<string, unknown>[]).find((x) => x.name === 'db')!;
    expect(w).to.deep.include({ ref: 'statefulset/db', source: true, existing: true });
  });
});
