// The session's in-place setup with fakes: the suite as the cluster describes it (discovered labels
// and ports), a probe container per source pod (`sourcePods: all`: every pod), a witness in the pod
// probes address, and the prober layers that follow from it.
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import type { V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { EphemeralApi } from '../../../harness/apply/ephemeral.js';
import type { Deployment } from '../../../harness/apply/workloads.js';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { FanOutProber } from '../../../harness/probe/fan-out.js';
import { BatchProber } from '../../../harness/probe/prober.js';
import { WitnessingProber, type WitnessOutcome } from '../../../harness/probe/witness.js';
import { existingPodQueries, inPlaceProber, setUpInPlace } from '../../../harness/run/in-place.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { Suite } from '../../../harness/suite/schema.js';
import { FakeKube } from '../cluster/fake-kube.js';
import { FakeExecutor } from '../probe/fakes.js';

class RunningApi implements EphemeralApi {
  added: string[] = [];
  pods = new Map<string, V1Pod>();
  async readPod(ns: string, name: string): Promise<V1Pod> {
    return structuredClone(this.pods.get(`${ns}/${name}`) ?? { metadata: { name, namespace: ns }, spec: { containers: [] }, status: {} });
  }
  async replaceEphemeral(ns: string, name: string, pod: V1Pod): Promise<V1Pod> {
    const c = pod.spec!.ephemeralContainers!.at(-1)!;
    this.added.push(`${ns}/${name}:${c.name}`);
    pod.status = { ...pod.status, ephemeralContainerStatuses: [...(pod.status?.ephemeralContainerStatuses ?? []), { name: c.name, image: c.image!, imageID: '', ready: false, restartCount: 0, state: { running: {} } }] };
    this.pods.set(`${ns}/${name}`, pod);
    return pod;
  }
}

function setup() {
  const suite = Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'shop' }],
    workloads: [
      { name: 'client', namespace: 'shop', labels: { app: 'client' }, ports: [{ port: 80 }] },
      { name: 'web', namespace: 'shop', existing: true, ref: 'deployment/web', source: true, sourcePods: 'all' },
      { name: 'stats', namespace: 'shop', existing: true, labels: { app: 'stats' }, witness: true },
    ],
    steps: [{ name: 's', expect: 'simulated' }],
  });
  const kube = new FakeKube();
  kube.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } } } });
  for (const [name, labels, ports] of [
    ['web-1', { app: 'web', 'pod-template-hash': 'h' }, [{ name: 'http', containerPort: 8080 }]],
    ['web-2', { app: 'web', 'pod-template-hash': 'h' }, [{ name: 'http', containerPort: 8080 }]],
    ['stats-1', { app: 'stats' }, [{ name: 'statsd', containerPort: 8125, protocol: 'UDP' }]],
  ] as const) {
    kube.put({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels: { ...labels } }, spec: { containers: [{ name: 'c', ports: [...ports] }] } });
  }
  const pod = (name: string, ip: string) => ({ name, namespace: 'shop', ip, node: 'n', container: 'c', labels: {} });
  const deployment: Deployment = {
    runId: 'r',
    nodes: [],
    endpoints: new Map([
      ['shop/web', { id: 'shop/web', namespace: 'shop', name: 'web', kind: 'existing', pods: [pod('web-1', '10.0.0.1'), pod('web-2', '10.0.0.2')] }],
      ['shop/stats', { id: 'shop/stats', namespace: 'shop', name: 'stats', kind: 'existing', pods: [pod('stats-1', '10.0.0.3')] }],
    ]),
  };
  const loaded: LoadedSuite = { file: 's.yaml', dir: '.', suite, lineOf: () => undefined, policies: new Map() };
  return { kube, deployment, loaded };
}

describe('run/in-place', () => {
  it('resolves refs, reads labels and ports, adds probe containers to every source pod and a witness to the addressed pod', async () => {
    const { kube, deployment, loaded } = setup();
    expect([...(await existingPodQueries(kube, loaded.suite))]).to.deep.equal([['shop/web', { namespace: 'shop', labelSelector: 'app=web' }]]);
    const api = new RunningApi();
    const s = await setUpInPlace({ client: kube, kubeConfig: undefined as never }, loaded, deployment, { agentImage: 'agent:1', api });
    expect(api.added.sort()).to.deep.equal(['shop/stats-1:nph-witness', 'shop/web-1:nph-probe', 'shop/web-2:nph-probe']);
    expect(s.sources.get('shop/web')).to.deep.include({ pod: 'web-1', container: 'nph-probe' });
    expect(s.allSources.get('shop/web')!.map((p) => p.pod)).to.deep.equal(['web-1', 'web-2']);
    expect(s.witnessed.get('shop/stats')).to.deep.include({ pod: 'stats-1', container: 'nph-witness' });
    const web = s.loaded.suite.workloads[1]!;
    expect(web.labels).to.deep.equal({ app: 'web', 'pod-template-hash': 'h' });
    expect(web.ports).to.deep.equal([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    expect(buildAxes(s.loaded.suite).columns.map((c) => c.key)).to.include.members(['shop/web:8080/TCP', 'shop/stats:8125/UDP']);

    const p = inPlaceProber(new BatchProber(new FakeExecutor(() => 'connected')), s, { axes: buildAxes(s.loaded.suite), podIPs: new Map(), start: () => ({ ready: Promise.resolve(), stop: () => {}, result: Promise.resolve(new Map<string, WitnessOutcome>()) }) });
    expect(p).to.be.instanceOf(FanOutProber);
    expect((p as unknown as { inner: unknown }).inner).to.be.instanceOf(WitnessingProber);
    const plain = new BatchProber(new FakeExecutor(() => 'connected'));
    expect(inPlaceProber(plain, undefined, { axes: buildAxes(s.loaded.suite), podIPs: new Map() })).to.equal(plain);
  });
});
