import { expect } from 'chai';
import { NamespaceGuard, declaredNamespaces } from '../../../harness/cluster/guard.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { agentServeArgs, deployWorkloads, renderManifests } from '../../../harness/apply/workloads.js';
import { CleanupStack } from '../../../harness/cluster/cleanup.js';
import { InfraError, UsageError } from '../../../harness/errors.js';
import { loadSuite } from '../../../harness/suite/load.js';
import { FakeKube, deploymentController, fakeClock } from '../cluster/fake-kube.js';
import { fakeCluster, suite } from '../cluster/helpers.js';

const AGENT = 'netpol-harness/agent:0.1.0';
type Container = { name: string; image: string; imagePullPolicy: string; args: string[]; ports?: { name?: string; containerPort: number; protocol: string }[]; startupProbe?: unknown; readinessProbe?: unknown };
type PodTemplate = { metadata: { labels: Record<string, string> }; spec: { nodeSelector?: Record<string, string>; terminationGracePeriodSeconds: number; containers: Container[] } };
const tmpl = (d: KObject) => (d.spec as { template: PodTemplate }).template;
const byKind = (objs: KObject[], kind: string) => objs.filter((o) => o.kind === kind);

const demo = suite({
  namespaces: [{ name: 'demo', labels: { team: 'a' } }, { name: 'other' }],
  workloads: [
    { name: 'web', namespace: 'demo', labels: { app: 'web' }, ports: [{ name: 'http', port: 8080 }, { port: 9090, protocol: 'TCP' }, { name: 'dns', port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }, { port: 9000, protocol: 'SCTP' }], replicas: 2 },
    { name: 'db', namespace: 'demo', labels: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }], node: 0 },
    { name: 'udp-only', namespace: 'other', labels: { app: 'u' }, ports: [{ port: 5353, protocol: 'UDP' }] },
    { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }] },
  ],
  probes: [{ name: 'client', namespace: 'other', labels: { role: 'client' } }, { name: 'pinned', namespace: 'demo', node: 1 }],
});

describe('apply/workloads: renderManifests', () => {
  const objs = renderManifests(demo, { runId: 'run-1', agentImage: AGENT, nodes: ['w1', 'w2'] });

  it('renders namespaces with suite labels plus managed-by and run labels', () => {
    expect(byKind(objs, 'Namespace').map((n) => n.metadata)).to.deep.equal([
      { name: 'demo', labels: { team: 'a', 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/run': 'run-1' } },
      { name: 'other', labels: { 'app.kubernetes.io/managed-by': 'netpol-harness', 'netpol-harness/run': 'run-1' } },
    ]);
    expect(objs.slice(0, 2).every((o) => o.kind === 'Namespace')).to.equal(true);
  });

  it('serves every declared port and protocol; containerPorts carry declared names and protocols', () => {
    const web = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'web')!;
    const c = tmpl(web).spec.containers[0]!;
    expect(c.args).to.deep.equal(['serve', '--tcp', '8080,9090,53', '--udp', '53', '--sctp', '9000']);
    expect(c.ports).to.deep.equal([
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { containerPort: 9090, protocol: 'TCP' },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { containerPort: 53, protocol: 'TCP' },
      { containerPort: 9000, protocol: 'SCTP' },
    ]);
    expect(c.name).to.equal('agent');
    expect(c.startupProbe).to.deep.equal({ tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 120 });
    expect(c.readinessProbe).to.equal(undefined);
    expect((web.spec as { replicas: number }).replicas).to.equal(2);
    expect(tmpl(web).spec.terminationGracePeriodSeconds).to.equal(1);
  });

  it('Services expose the same ports and protocols with targetPort = port, unique names, selecting the endpoint label', () => {
    const svc = objs.find((o) => o.kind === 'Service' && o.metadata.name === 'web')!;
    expect(svc.spec).to.deep.equal({
      selector: { 'netpol-harness/endpoint': 'web' },
      ports: [
        { name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' },
        { name: 'tcp-9090', port: 9090, targetPort: 9090, protocol: 'TCP' },
        { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
        { name: 'tcp-53', port: 53, targetPort: 53, protocol: 'TCP' },
        { name: 'sctp-9000', port: 9000, targetPort: 9000, protocol: 'SCTP' },
      ],
    });
    const udp = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'udp-only')!;
    expect(tmpl(udp).spec.containers[0]!.startupProbe).to.equal(undefined); // no TCP port to probe
  });

  it('an external source probing through NodePorts makes the Services NodePorts; otherwise they stay ClusterIP', () => {
    const w = { namespaces: [{ name: 'demo' }], workloads: [{ name: 'web', namespace: 'demo', ports: [{ port: 80 }] }] };
    const type = (input: Parameters<typeof suite>[0]) => (renderManifests(suite(input), { runId: 'r', agentImage: AGENT, nodes: [] }).find((o) => o.kind === 'Service')!.spec as { type?: string }).type;
    expect(type({ ...w, externals: [{ name: 'office', source: true, via: 'nodeport' }] })).to.equal('NodePort');
    expect(type({ ...w, externals: [{ name: 'office', source: true }] })).to.equal(undefined);
  });

  it('a workload pinning its ClusterIP gets it as the Service spec.clusterIP; others leave it to the allocator', () => {
    const pinned = suite({ namespaces: [{ name: 'demo' }], workloads: [{ name: 'svc', namespace: 'demo', ports: [{ port: 80 }, { port: 8080, servicePort: 8081 }], clusterIP: '10.96.0.254', via: 'service' }] });
    const svc = renderManifests(pinned, { runId: 'run-1', agentImage: AGENT, nodes: [] }).find((o) => o.kind === 'Service')!;
    expect((svc.spec as { clusterIP?: string }).clusterIP).to.equal('10.96.0.254');
    // ports[].servicePort: the Service's port, forwarding to the container port.
    expect((svc.spec as { ports: unknown[] }).ports).to.deep.equal([
      { name: 'tcp-80', port: 80, targetPort: 80, protocol: 'TCP' },
      { name: 'tcp-8080', port: 8081, targetPort: 8080, protocol: 'TCP' },
    ]);
    expect(objs.filter((o) => o.kind === 'Service').every((o) => !('clusterIP' in (o.spec as object)))).to.equal(true);
  });

  it('Deployments select only on the harness endpoint label; pods carry the suite labels too', () => {
    for (const d of byKind(objs, 'Deployment')) {
      const name = d.metadata.name!;
      expect((d.spec as { selector: unknown }).selector).to.deep.equal({ matchLabels: { 'netpol-harness/endpoint': name } });
      expect(tmpl(d).metadata.labels['netpol-harness/endpoint']).to.equal(name);
    }
    expect(tmpl(objs.find((o) => o.metadata.name === 'web' && o.kind === 'Deployment')!).metadata.labels).to.deep.equal({ app: 'web', 'netpol-harness/endpoint': 'web' });
  });

  it('never deploys existing workloads, and probes run serve with no ports and no Service', () => {
    expect(objs.some((o) => o.metadata.name === 'coredns')).to.equal(false);
    const probe = objs.find((o) => o.kind === 'Deployment' && o.metadata.name === 'client')!;
    expect(tmpl(probe).spec.containers[0]!.args).to.deep.equal(['serve']);
    expect(tmpl(probe).spec.containers[0]!.ports).to.equal(undefined);
    expect(objs.some((o) => o.kind === 'Service' && o.metadata.name === 'client')).to.equal(false);
  });

  it('spreads round-robin over worker nodes, honouring pins', () => {
    const nodeOf = (name: string) => tmpl(objs.find((o) => o.kind === 'Deployment' && o.metadata.name === name)!).spec.nodeSelector?.['kubernetes.io/hostname'];
    expect(['web', 'db', 'udp-only', 'client', 'pinned'].map(nodeOf)).to.deep.equal(['w1', 'w1', 'w2', 'w1', 'w2']);
    const none = renderManifests(demo, { runId: 'r', agentImage: AGENT, nodes: [] });
    expect(byKind(none, 'Deployment').every((d) => tmpl(d).spec.nodeSelector === undefined)).to.equal(true);
  });

  it('uses IfNotPresent and never a :latest image', () => {
    for (const d of byKind(objs, 'Deployment')) {
      for (const c of tmpl(d).spec.containers) {
        expect(c.imagePullPolicy).to.equal('IfNotPresent');
        expect(c.image).to.match(/:[^:/]+$/);
        expect(c.image).not.to.match(/:latest$/);
      }
    }
  });

  it('rejects pins beyond the worker count and duplicate names', () => {
    expect(() => renderManifests(suite({ probes: [{ name: 'p', namespace: 'demo', node: 3 }] }), { runId: 'r', agentImage: AGENT, nodes: ['w1', 'w2'] })).to.throw(UsageError, 'node 3 requested but the cluster has 2 worker node(s)');
    expect(() =>
      renderManifests(suite({ workloads: [{ name: 'x', namespace: 'demo', ports: [{ port: 80 }] }], probes: [{ name: 'x', namespace: 'demo' }] }), { runId: 'r', agentImage: AGENT, nodes: [] }),
    ).to.throw(UsageError, 'demo/x');
  });

  it('renders the seed suite', async () => {
    const loaded = await loadSuite('suites/zero-trust/suite.yaml');
    const seed = renderManifests(loaded.suite, { runId: 'r', agentImage: AGENT, nodes: ['nph-worker', 'nph-worker2'] });
    expect(byKind(seed, 'Namespace')).to.have.length(loaded.suite.namespaces.length);
    expect(byKind(seed, 'Deployment')).to.have.length(loaded.suite.workloads.filter((w) => !w.existing).length + loaded.suite.probes.length);
    const nodes = new Set(byKind(seed, 'Deployment').map((d) => tmpl(d).spec.nodeSelector?.['kubernetes.io/hostname']));
    expect([...nodes].sort()).to.deep.equal(['nph-worker', 'nph-worker2']);
  });

  it('agentServeArgs dedupes ports per protocol', () => {
    expect(agentServeArgs([{ port: 80, protocol: 'TCP' }, { port: 80, protocol: 'TCP' }])).to.deep.equal(['serve', '--tcp', '80']);
    expect(agentServeArgs([])).to.deep.equal(['serve']);
  });
});

describe('apply/workloads: deployWorkloads', () => {
  function setup(behaviour: Parameters<typeof deploymentController>[0] = {}) {
    const kube = new FakeKube();
    kube.onApply = deploymentController(behaviour);
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system' } });
    kube.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'coredns-1', namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': 'x' } }, spec: { nodeName: 'cp', containers: [{ name: 'coredns' }] }, status: { phase: 'Running', podIP: '10.244.0.2', conditions: [{ type: 'Ready', status: 'True' }] } });
    kube.put({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: 'kube-system' }, spec: { clusterIP: '10.96.0.10', selector: { 'k8s-app': 'kube-dns' } } });
    const cluster = fakeCluster(kube);
    const guard = new NamespaceGuard({ client: kube, runId: 'run-1', declared: declaredNamespaces(demo) });
    return { kube, cluster, guard };
  }

  it('applies namespaces first, then the rest; returns pods, IPs, nodes and Service IPs per endpoint; never mutates existing ones', async () => {
    const { kube, cluster, guard } = setup();
    const cleanup = new CleanupStack();
    const d = await deployWorkloads(cluster, demo, { runId: 'run-1', agentImage: AGENT, guard, cleanup, clock: fakeClock() });
    const applies = kube.ops('apply');
    expect(applies.slice(0, 2)).to.deep.equal(['Namespace/demo', 'Namespace/other']);
    expect(applies.filter((a) => a.includes('kube-system'))).to.deep.equal([]);
    expect(d.nodes).to.deep.equal(['nph-worker', 'nph-worker2']);
    const web = d.endpoints.get('demo/web')!;
    expect(web.kind).to.equal('workload');
    expect(web.pods).to.have.length(2);
    expect(web.pods[0]).to.include({ namespace: 'demo', container: 'agent', node: 'nph-worker' });
    expect(web.pods[0]!.ip).to.match(/^10\.244\.0\.\d+$/);
    expect(web.serviceName).to.equal('web');
    expect(web.serviceIP).to.match(/^10\.96\.0\.\d+$/);
    expect(d.endpoints.get('other/client')).to.deep.include({ kind: 'probe' });
    expect(d.endpoints.get('other/client')!.serviceIP).to.equal(undefined);
    const dns = d.endpoints.get('kube-system/coredns')!;
    expect(dns).to.deep.include({ kind: 'existing', serviceName: 'kube-dns', serviceIP: '10.96.0.10' });
    expect(dns.pods.map((p) => [p.name, p.container])).to.deep.equal([['coredns-1', 'coredns']]);
    // Cleanup deletes only what the run created.
    await cleanup.run();
    expect(kube.ops('delete')).to.deep.equal(['Namespace/other', 'Namespace/demo']);
  });

  it('times out with an InfraError naming the stuck pod, its state and its last event', async () => {
    const { kube, cluster, guard } = setup({ stuck: { 'demo/db': { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "netpol-harness/agent:0.1.0"' } } } });
    const orig = kube.events.bind(kube);
    kube.events = async (ref) => (ref.name.startsWith('db-') ? [{ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, type: 'Warning', reason: 'Failed', message: 'Failed to pull image "netpol-harness/agent:0.1.0": not found', lastTimestamp: '1' }] : orig(ref));
    let err: InfraError | undefined;
    try {
      await deployWorkloads(cluster, demo, { runId: 'run-1', agentImage: AGENT, guard, timeoutMs: 10_000, clock: fakeClock() });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err).to.be.instanceOf(InfraError);
    expect(err!.message).to.match(/^1 of 6 workloads\/probes not Ready after 10\.0s:\n {2}workload demo\/db \(0\/1 Ready\): pod demo\/db-abc\d+ on node nph-worker: phase Pending, container agent waiting: ImagePullBackOff \(Back-off pulling image "netpol-harness\/agent:0\.1\.0"\); last event: Failed: Failed to pull image "netpol-harness\/agent:0\.1\.0": not found$/);
    expect(err!.hint).to.include('images must be on the nodes');
  });

  it('reports an existing workload whose pods cannot be found', async () => {
    const { kube, cluster, guard } = setup();
    kube.objects.delete('Pod/kube-system/coredns-1');
    let err: Error | undefined;
    try {
      await deployWorkloads(cluster, demo, { runId: 'run-1', agentImage: AGENT, guard, timeoutMs: 2000, clock: fakeClock() });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.include('existing kube-system/coredns: no Ready pod matches k8s-app=kube-dns (found 0 pod(s))');
  });

  it('refuses to deploy into a foreign namespace on a cluster it did not create', async () => {
    const { kube, cluster, guard } = setup();
    kube.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'other', labels: { owner: 'ops' } } });
    let err: Error | undefined;
    try {
      await deployWorkloads(cluster, demo, { runId: 'run-1', agentImage: AGENT, guard, clock: fakeClock() });
    } catch (e) {
      err = e as Error;
    }
    expect(err).to.be.instanceOf(UsageError);
    expect(err!.message).to.include('other: it exists and was not created by netpol-harness');
    expect(kube.ops('apply').some((a) => a.includes('/other/'))).to.equal(false);
  });

  it('resets drifted pod labels left by an earlier run on a kept cluster', async () => {
    const { kube, cluster, guard } = setup();
    await deployWorkloads(cluster, demo, { runId: 'run-1', agentImage: AGENT, guard, clock: fakeClock() });
    const pod = kube.ofKind('Pod').find((p) => p.metadata.labels?.['netpol-harness/endpoint'] === 'db')!;
    pod.metadata.labels = { ...pod.metadata.labels, app: 'hacked', extra: 'x' };
    kube.onApply = undefined; // the Deployment is unchanged: its pods stay
    const d = await deployWorkloads(cluster, demo, { runId: 'run-2', agentImage: AGENT, guard, clock: fakeClock() });
    expect(d.endpoints.get('demo/db')!.pods[0]!.labels).to.deep.equal({ app: 'db', 'netpol-harness/endpoint': 'db', 'pod-template-hash': 'abc' });
    expect(kube.find('Pod', 'demo', pod.metadata.name!)!.metadata.labels).to.deep.equal({ app: 'db', 'netpol-harness/endpoint': 'db', 'pod-template-hash': 'abc' });
  });
});
