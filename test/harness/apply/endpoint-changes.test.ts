// EndpointChanger on the in-memory cluster: a step's create (namespaces first), recreate (new pods,
// new IPs) and delete (workloads, then namespaces with what runs in them), with the deployment record
// the prober reads updated in place.
import { expect } from 'chai';
import { EndpointChanger } from '../../../harness/apply/endpoint-changes.js';
import { PolicyApplier } from '../../../harness/apply/policies.js';
import { deployWorkloads, type Deployment } from '../../../harness/apply/workloads.js';
import { declaredNamespaces, NamespaceGuard } from '../../../harness/cluster/guard.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import type { Cluster } from '../../../harness/cluster/provider.js';
import { presentFromStart } from '../../../harness/suite/presence.js';
import { Suite } from '../../../harness/suite/schema.js';
import { deploymentController, fakeClock, FakeKube } from '../cluster/fake-kube.js';

const suite = Suite.parse({
  apiVersion: 'netpol-harness/v1',
  kind: 'Suite',
  metadata: { name: 't' },
  namespaces: [{ name: 'app' }, { name: 'late', initially: 'absent', labels: { team: 'late' } }],
  workloads: [
    { name: 'web', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 8080 }] },
    { name: 'web2', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 8080 }], initially: 'absent' },
  ],
  probes: [
    { name: 'client', namespace: 'app', labels: { role: 'client' } },
    { name: 'visitor', namespace: 'late', initially: 'absent' },
  ],
  steps: [{ name: 's', expect: 'simulated' }],
});

async function setup() {
  const kube = new FakeKube();
  const controller = deploymentController();
  kube.onApply = controller;
  // Garbage collection and ReplicaSets: a deleted Deployment takes its pods; a deleted pod is replaced.
  kube.onDelete = (ref, fake) => {
    if (ref.kind === 'Deployment') for (const p of fake.ofKind('Pod')) if (p.metadata.namespace === ref.namespace && p.metadata.ownerReferences?.[0]?.name === ref.name) void fake.delete(fake.ref(p));
    if (ref.kind === 'Pod') {
      const owner = ref.name.replace(/-abc\d+$/, '');
      const dep = fake.find('Deployment', ref.namespace, owner);
      const left = fake.ofKind('Pod').filter((p) => p.metadata.namespace === ref.namespace && p.metadata.ownerReferences?.[0]?.name === owner);
      if (dep && left.length === 0) controller(dep, fake);
    }
  };
  const guard = new NamespaceGuard({ client: kube, runId: 'run-1', declared: declaredNamespaces(suite), clusterOwned: true });
  const cluster = { client: kube, ephemeral: true, nodes: () => Promise.resolve([]) } as unknown as Cluster;
  const clock = fakeClock();
  const deployment: Deployment = await deployWorkloads(cluster, presentFromStart(suite), { runId: 'run-1', agentImage: 'agent:1', guard, nodes: ['w1', 'w2'], clock });
  const changer = new EndpointChanger({ client: kube, suite, deployment, guard, agentImage: 'agent:1', clock });
  return { kube, guard, deployment, changer };
}
const names = (kube: FakeKube, kind: string) => kube.ofKind(kind).map((o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`).sort();

describe('apply/endpoint-changes: EndpointChanger', () => {
  it('the first deployment holds only what is present from the start', async () => {
    const { kube, deployment } = await setup();
    expect([...deployment.endpoints.keys()].sort()).to.deep.equal(['app/client', 'app/web']);
    expect(names(kube, 'Namespace')).to.deep.equal(['/app']);
  });

  it('create: namespaces first, then workloads (with their Service) and probes, waited for and recorded', async () => {
    const { kube, guard, deployment, changer } = await setup();
    await changer.applyStep({ create: ['late/visitor', 'app/web2', 'namespace/late'] });
    expect(kube.find('Namespace', undefined, 'late')?.metadata.labels).to.include({ team: 'late' });
    expect(guard.created()).to.include('late');
    const web2 = deployment.endpoints.get('app/web2')!;
    expect(web2.pods).to.have.length(1);
    expect(web2.pods[0]!.ip).to.match(/^10\.244\./);
    expect(web2.serviceIP).to.match(/^10\.96\./);
    expect(deployment.endpoints.get('late/visitor')!.kind).to.equal('probe');
    const order = kube.ops('apply');
    expect(order.indexOf('Namespace/late')).to.be.below(order.indexOf('Deployment/late/visitor'));
  });

  it('recreate: new pods with new names and IPs, the Service kept', async () => {
    const { deployment, changer } = await setup();
    const before = deployment.endpoints.get('app/web')!;
    await changer.applyStep({ recreate: ['app/web'] });
    const after = deployment.endpoints.get('app/web')!;
    expect(after.pods[0]!.name).to.not.equal(before.pods[0]!.name);
    expect(after.pods[0]!.ip).to.not.equal(before.pods[0]!.ip);
    expect(after.serviceIP).to.equal(before.serviceIP);
    expect(after.pods[0]!.labels).to.include({ app: 'web' });
  });

  it('delete: a workload loses its Deployment, Service and pods; a namespace takes its endpoints along', async () => {
    const { kube, deployment, changer } = await setup();
    await changer.applyStep({ create: ['namespace/late', 'late/visitor'] });
    await changer.applyStep({ delete: ['namespace/late', 'app/web'] });
    expect(names(kube, 'Deployment')).to.deep.equal(['app/client']);
    expect(names(kube, 'Service')).to.deep.equal([]);
    expect(kube.ofKind('Pod').map((p) => p.metadata.name)).to.have.length(1);
    expect(kube.find('Namespace', undefined, 'late')).to.equal(undefined);
    expect([...deployment.endpoints.keys()]).to.deep.equal(['app/client']);
    const ops = kube.ops('delete');
    expect(ops.indexOf('Deployment/app/web'), 'workloads before namespaces').to.be.below(ops.indexOf('Namespace/late'));
  });

  it('refuses what the harness does not deploy', async () => {
    const { changer } = await setup();
    let e: unknown;
    try {
      await changer.applyStep({ recreate: ['app/nope'] });
    } catch (x) {
      e = x;
    }
    expect((e as Error).message).to.include('not a workload or probe the harness deploys');
  });

  it('PolicyApplier.applyStep runs the changes between removals and applications', async () => {
    const kube = new FakeKube();
    const order: string[] = [];
    const a = new PolicyApplier({ client: kube, policies: new Map([['p', []]]) });
    const origRemove = a.remove.bind(a);
    const origApply = a.apply.bind(a);
    a.remove = async (id) => void (order.push(`remove ${id}`), await origRemove(id));
    a.apply = async (id) => void (order.push(`apply ${id}`), await origApply(id));
    await a.applyStep({ remove: ['p'], apply: ['p'], labels: [] }, undefined, () => Promise.resolve(void order.push('between')));
    expect(order).to.deep.equal(['remove p', 'between', 'apply p']);
  });
});
