// Re-learning replaced pods before a step: the deployment record follows the live Ready pods, and
// in-place probe and witness containers move to the pods that replaced theirs.
import { expect } from 'chai';
import type { Deployment, EndpointInfo, PodInfo } from '../../../harness/apply/workloads.js';
import type { KObject, PodLike } from '../../../harness/cluster/kube-types.js';
import { takeSnapshot, type WatchTarget } from '../../../harness/observe/snapshot.js';
import { InPlaceFollower, ipInSnapshot, livePods, relearnDeployment, relearnPods, type EnsureContainer, type InPlaceState } from '../../../harness/run/relearn.js';
import { Suite } from '../../../harness/suite/schema.js';
import { FakeKube } from '../cluster/fake-kube.js';
import { pod } from '../observe/fixtures.js';

const info = (ns: string, name: string, ip: string, container = 'agent'): PodInfo => ({ name, namespace: ns, ip, node: 'w1', container, labels: {} });
const ep = (id: string, kind: EndpointInfo['kind'], pods: PodInfo[]): EndpointInfo => {
  const [namespace, name] = id.split('/') as [string, string];
  return { id, namespace, name, kind, pods };
};

function deployment(): Deployment {
  return {
    runId: 'r',
    nodes: ['w1'],
    endpoints: new Map([
      ['shop/web', ep('shop/web', 'workload', [info('shop', 'web-1', '10.244.1.5')])],
      ['shop/db', ep('shop/db', 'workload', [info('shop', 'db-1', '10.244.2.5')])],
      ['shop/api', ep('shop/api', 'existing', [info('shop', 'api-1', '10.244.1.7', 'server')])],
    ]),
  };
}

const TARGETS: WatchTarget[] = [
  { endpoint: 'shop/web', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'web' }, agent: true },
  { endpoint: 'shop/db', namespace: 'shop', labels: { 'netpol-harness/endpoint': 'db' }, agent: true },
  { endpoint: 'shop/api', namespace: 'shop', labels: { app: 'api' }, agent: false },
];

const apiPod = (name: string, ip: string, over: { ready?: boolean } = {}): KObject => {
  const p = pod('shop', name, '', 'w2', { labels: { app: 'api', 'pod-template-hash': 'abc' }, ip, ...over });
  return { ...p, spec: { ...(p.spec as object), containers: [{ name: 'server' }] } };
};

function world(): FakeKube {
  const k = new FakeKube();
  k.put(pod('shop', 'web-1', 'web', 'w1', { ip: '10.244.1.5' }));
  // db-1 was deleted; its Deployment made db-2 with a new IP.
  k.put(pod('shop', 'db-2', 'db', 'w2', { ip: '10.244.2.9' }));
  // api-1 replaced by api-2; api-3 is starting (not Ready yet).
  k.put(apiPod('api-2', '10.244.1.8'));
  k.put(apiPod('api-3', '10.244.1.9', { ready: false }));
  return k;
}

const suite = (sourcePods: 'one' | 'all' = 'one') =>
  Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'shop' }],
    workloads: [{ name: 'api', namespace: 'shop', existing: true, labels: { app: 'api' }, ports: [{ port: 80 }], source: true, witness: true, sourcePods }],
    steps: [{ name: 's', expect: 'simulated' }],
  });

function state(): InPlaceState {
  const src = { endpoint: 'shop/api', namespace: 'shop', pod: 'api-1', container: 'nph-probe' };
  return {
    sources: new Map([['shop/api', src]]),
    allSources: new Map([['shop/api', [src]]]),
    witnessed: new Map([['shop/api', { endpoint: 'shop/api', namespace: 'shop', pod: 'api-1', container: 'nph-witness' }]]),
  };
}

function recordingEnsure(): { ensure: EnsureContainer; added: string[] } {
  const added: string[] = [];
  return {
    added,
    // eslint-disable-next-line @typescript-eslint/require-await -- fake of an async API
    ensure: async (ns, p, role) => {
      added.push(`${ns}/${p}:${role}`);
      return { container: role === 'probe' ? 'nph-probe' : 'nph-witness', reused: false, ms: 1 };
    },
  };
}

describe('run/relearn: pods replaced during a run are learnt again', () => {
  it('livePods: only Ready, not terminating pods with an IP; the container is the agent or the workload`s own', () => {
    const d = deployment();
    const pods = [...world().ofKind('Pod')] as PodLike[];
    const gone = pod('shop', 'web-0', 'web', 'w1', { ip: '10.244.1.4' });
    gone.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    const live = livePods([...pods, gone], TARGETS, d);
    expect(live.get('shop/web')!.map((p) => p.name)).to.deep.equal(['web-1']);
    expect(live.get('shop/db')!.map((p) => [p.name, p.ip, p.container])).to.deep.equal([['db-2', '10.244.2.9', 'agent']]);
    expect(live.get('shop/api')!.map((p) => [p.name, p.container])).to.deep.equal([['api-2', 'server']]);
  });

  it('relearnDeployment: a replaced pod is recorded with its new name and IP; unchanged endpoints stay as they were', () => {
    const d = deployment();
    const web = d.endpoints.get('shop/web')!.pods;
    const changes = relearnDeployment(d, livePods(world().ofKind('Pod'), TARGETS, d));
    expect(changes).to.deep.equal([
      { endpoint: 'shop/db', gone: ['shop/db-1'], added: ['shop/db-2'] },
      { endpoint: 'shop/api', gone: ['shop/api-1'], added: ['shop/api-2'] },
    ]);
    expect(d.endpoints.get('shop/db')!.pods.map((p) => p.ip)).to.deep.equal(['10.244.2.9']);
    expect(d.endpoints.get('shop/web')!.pods).to.equal(web);
  });

  it('relearnDeployment: the same pod name with a new IP counts as replaced (a StatefulSet pod)', () => {
    const d = deployment();
    const changes = relearnDeployment(d, new Map([['shop/web', [info('shop', 'web-1', '10.244.1.99')]]]));
    expect(changes).to.deep.equal([{ endpoint: 'shop/web', gone: ['shop/web-1'], added: ['shop/web-1'] }]);
    expect(d.endpoints.get('shop/web')!.pods[0]!.ip).to.equal('10.244.1.99');
  });

  it('relearnDeployment: survivors stay first (the pod probes address), new pods follow; no live pod keeps the record', () => {
    const d = deployment();
    d.endpoints.get('shop/web')!.pods.push(info('shop', 'web-9', '10.244.1.90'));
    relearnDeployment(d, new Map([['shop/web', [info('shop', 'web-0', '10.244.1.3'), info('shop', 'web-9', '10.244.1.90')]], ['shop/db', []]]));
    expect(d.endpoints.get('shop/web')!.pods.map((p) => p.name)).to.deep.equal(['web-9', 'web-0']);
    expect(d.endpoints.get('shop/db')!.pods.map((p) => p.name)).to.deep.equal(['db-1']);
  });

  it('relearnPods: one bounded list; lines name the new pods and IPs; in-place probe and witness containers follow', async () => {
    const d = deployment();
    const st = state();
    const { ensure, added } = recordingEnsure();
    const lines = await relearnPods(world(), d, TARGETS, new InPlaceFollower(st, suite(), ensure));
    expect(lines.join('\n')).to.include('shop/db: pods replaced during the run, now db-2 (10.244.2.9); gone: shop/db-1');
    expect(added).to.deep.equal(['shop/api-2:probe', 'shop/api-2:witness']);
    expect(st.sources.get('shop/api')).to.include({ pod: 'api-2', container: 'nph-probe' });
    expect(st.allSources.get('shop/api')!.map((s) => s.pod)).to.deep.equal(['api-2']);
    expect(st.witnessed.get('shop/api')).to.include({ pod: 'api-2', container: 'nph-witness' });
  });

  it('relearnPods: nothing replaced, nothing injected and no lines', async () => {
    const d = deployment();
    const k = new FakeKube();
    k.put(pod('shop', 'web-1', 'web', 'w1', { ip: '10.244.1.5' }));
    k.put(pod('shop', 'db-1', 'db', 'w2', { ip: '10.244.2.5' }));
    k.put(apiPod('api-1', '10.244.1.7'));
    const { ensure, added } = recordingEnsure();
    expect(await relearnPods(k, d, TARGETS, new InPlaceFollower(state(), suite(), ensure))).to.deep.equal([]);
    expect(added).to.deep.equal([]);
  });

  it('follow with sourcePods: all: surviving pods keep their containers, new ones get one each', async () => {
    const d = deployment();
    d.endpoints.get('shop/api')!.pods = [info('shop', 'api-1', '10.244.1.7', 'server'), info('shop', 'api-4', '10.244.1.10', 'server')];
    const st = state();
    const { ensure, added } = recordingEnsure();
    await new InPlaceFollower(st, suite('all'), ensure).follow(d, [{ endpoint: 'shop/api', gone: [], added: ['shop/api-4'] }]);
    expect(added).to.deep.equal(['shop/api-4:probe']);
    expect(st.allSources.get('shop/api')!.map((s) => s.pod)).to.deep.equal(['api-1', 'api-4']);
    // the witness stays in api-1: it is still the pod probes address
    expect(st.witnessed.get('shop/api')!.pod).to.equal('api-1');
  });

  it('prepareSource: a replacement found mid-step gets the probe container; harness-owned sources are left as they are', async () => {
    const st = state();
    const { ensure, added } = recordingEnsure();
    const f = new InPlaceFollower(st, suite(), ensure);
    const next = await f.prepareSource({ endpoint: 'shop/api', namespace: 'shop', pod: 'api-2', container: 'nph-probe-2' });
    expect(next.container).to.equal('nph-probe');
    expect(st.sources.get('shop/api')!.pod).to.equal('api-2');
    expect(st.allSources.get('shop/api')!.map((s) => s.pod)).to.deep.equal(['api-2']);
    const own = { endpoint: 'shop/web', namespace: 'shop', pod: 'web-2', container: 'agent' };
    expect(await f.prepareSource(own)).to.equal(own);
    expect(added).to.deep.equal(['shop/api-2:probe']);
  });

  it('ipInSnapshot finds a replacement source pod`s IP in the watcher`s reading', async () => {
    const snap = await takeSnapshot(world(), TARGETS);
    expect(ipInSnapshot(snap, { namespace: 'shop', pod: 'api-2' })).to.equal('10.244.1.8');
    expect(ipInSnapshot(snap, { namespace: 'shop', pod: 'api-1' })).to.equal(undefined);
    expect(ipInSnapshot(undefined, { namespace: 'shop', pod: 'api-2' })).to.equal(undefined);
  });
});
