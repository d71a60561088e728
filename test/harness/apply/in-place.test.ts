// Finding existing workloads and what they serve: references to controllers and pods, selectors
// with expressions, ports from containers and from the Services selecting the pods (named
// targetPorts resolved through the containers' port names), and the labels all pods share.
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import { checkInPlaceAccess, describeCheck, requiredAccess } from '../../../harness/apply/access.js';
import type { AccessNeed } from '../../../harness/cluster/checks/access.js';
import { commonLabels, discoverExisting, discoverPorts, nodePortMap, podQuery, selectorString, servicePortMap } from '../../../harness/apply/in-place.js';
import type { KObject, PodLike } from '../../../harness/cluster/kube-types.js';
import { UsageError } from '../../../harness/errors.js';
import { Suite, WorkloadSpec, type SuiteInput } from '../../../harness/suite/schema.js';
import { FakeKube } from '../cluster/fake-kube.js';

const podObj = (name: string, labels: Record<string, string>, ports: { name?: string; containerPort: number; protocol?: string }[] = []): PodLike =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'shop', labels }, spec: { containers: [{ name: 'app', ports }] } }) as unknown as PodLike;
const svc = (name: string, selector: Record<string, string>, ports: { name?: string; port: number; targetPort?: number | string; protocol?: string }[]): KObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'shop' },
  spec: { selector, ports },
});

describe('apply/in-place', () => {
  it('servicePortMap: the Service port for each pod port it targets, a named targetPort resolved on the pod (kubectl expose --port 80 --target-port http)', () => {
    const pod = { metadata: { labels: { run: 'web' } }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 53, protocol: 'UDP' }] }] } };
    const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { run: 'web' }, ports: [{ port: 80, targetPort: 'http' }, { port: 5353, targetPort: 53, protocol: 'UDP' }, { port: 81 }, { port: 82, targetPort: 'nope' }] } };
    expect([...servicePortMap(pod, svc)]).to.deep.equal([
      ['8080/TCP', 80],
      ['53/UDP', 5353],
      ['81/TCP', 81],
    ]);
  });

  it('nodePortMap: the user\'s NodePort Service, the named targetPort resolved on the pod; nothing for a ClusterIP Service', () => {
    const pod = { metadata: { labels: { run: 'web' } }, spec: { containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 8080 }] }] } };
    const svc = (nodePort?: number) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { selector: { run: 'web' }, ports: [{ port: 80, targetPort: 'http', ...(nodePort ? { nodePort } : {}) }] } });
    expect([...nodePortMap(pod, svc(31080))]).to.deep.equal([['8080/TCP', 31080]]);
    expect([...nodePortMap(pod, svc())]).to.deep.equal([]);
  });

  it('turns a LabelSelector with expressions into a list selector', () => {
    expect(
      selectorString({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'tier', operator: 'In', values: ['a', 'b'] },
          { key: 'x', operator: 'NotIn', values: ['c'] },
          { key: 'y', operator: 'Exists' },
          { key: 'z', operator: 'DoesNotExist' },
        ],
      }),
    ).to.equal('app=web,tier in (a,b),x notin (c),y,!z');
  });

  it('resolves references to controllers and pods; a missing one names the suite field', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'frontend', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'frontend' } } } });
    kube.put(podObj('db-0', { app: 'db' }));
    const w = (ref: string, labels = {}) => WorkloadSpec.parse({ name: 'x', namespace: 'shop', existing: true, ref, labels });
    expect(await podQuery(kube, w('deployment/frontend'), 0)).to.deep.equal({ namespace: 'shop', labelSelector: 'app=frontend' });
    expect(await podQuery(kube, w('deployment/frontend', { track: 'canary' }), 0)).to.deep.equal({ namespace: 'shop', labelSelector: 'app=frontend,track=canary' });
    expect(await podQuery(kube, w('pod/db-0'), 0)).to.deep.equal({ namespace: 'shop', fieldSelector: 'metadata.name=db-0' });
    kube.put({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'idle', namespace: 'shop' }, spec: { replicas: 0, selector: { matchLabels: { app: 'idle' } } } });
    expect(((await podQuery(kube, w('statefulset/idle'), 1).catch((x: unknown) => x)) as Error).message).to.equal('workloads[1].ref: StatefulSet shop/idle has 0 replicas: there is no pod to probe');
    const e = await podQuery(kube, w('statefulset/nope'), 3).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(UsageError);
    expect((e as Error).message).to.equal('workloads[3].ref: StatefulSet shop/nope does not exist');
    expect(await podQuery(kube, WorkloadSpec.parse({ name: 'x', namespace: 'shop', existing: true, labels: { a: 'b', c: 'd' } }), 0)).to.deep.equal({ namespace: 'shop', labelSelector: 'a=b,c=d' });
  });

  it('discovers container ports with their names, then Service ports resolved to the pod (named targetPorts too)', () => {
    const pod = podObj('fe-1', { app: 'frontend' }, [{ name: 'http', containerPort: 8080 }, { name: 'metrics', containerPort: 9090 }, { name: 'syslog', containerPort: 514, protocol: 'UDP' }]);
    const ports = discoverPorts(pod, [
      svc('fe', { app: 'frontend' }, [
        { name: 'web', port: 80, targetPort: 'http' },
        { port: 8443, targetPort: 8443 },
        { port: 7000, protocol: 'UDP' },
      ]),
      svc('other', { app: 'db' }, [{ port: 5432 }]),
      svc('headless-no-selector', {}, [{ port: 1 }]),
    ]);
    expect(ports).to.deep.equal([
      { name: 'http', port: 8080, protocol: 'TCP' },
      { name: 'metrics', port: 9090, protocol: 'TCP' },
      { name: 'syslog', port: 514, protocol: 'UDP' },
      { port: 8443, protocol: 'TCP' },
      { port: 7000, protocol: 'UDP' },
    ]);
  });

  it('keeps the labels every pod carries (a StatefulSet pod-name label is per pod)', () => {
    expect(commonLabels([podObj('a', { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-0' }), podObj('b', { app: 'db', 'statefulset.kubernetes.io/pod-name': 'db-1' })])).to.deep.equal({ app: 'db' });
    expect(commonLabels([])).to.deep.equal({});
  });

  it('discoverExisting reads each existing workload from its Ready pods and the Services of its namespace', async () => {
    const kube = new FakeKube();
    kube.put(svc('db', { app: 'db' }, [{ name: 'pg', port: 5432, targetPort: 5432 }]));
    const suite = Suite.parse({
      apiVersion: 'netpol-harness/v1',
      kind: 'Suite',
      metadata: { name: 't' },
      namespaces: [{ name: 'x' }],
      workloads: [{ name: 'db', namespace: 'shop', existing: true, labels: { app: 'db' } }],
      steps: [{ name: 's', expect: 'simulated' }],
    } satisfies SuiteInput);
    const found = await discoverExisting(kube, suite, new Map([['shop/db', [podObj('db-0', { app: 'db', tier: 'data' })]]]));
    expect(found.get('shop/db')).to.deep.equal({ labels: { app: 'db', tier: 'data' }, ports: [{ port: 5432, protocol: 'TCP' }] });
  });
});

describe('apply/access', () => {
  const suite = Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'shop' }],
    workloads: [
      { name: 'coredns', namespace: 'kube-system', existing: true, ref: 'deployment/coredns', source: true },
      { name: 'db', namespace: 'shop', existing: true, labels: { app: 'db' }, witness: true },
    ],
    steps: [{ name: 's', expect: 'simulated' }],
  } satisfies SuiteInput);

  it('needs ephemeral containers and exec where it probes in place, and policy rights in the suite namespaces', () => {
    const checks = requiredAccess(suite, ['shop']).map(describeCheck);
    expect(checks).to.include('patch pods/ephemeralcontainers in namespace kube-system (add the probe or witness ephemeral container)');
    expect(checks).to.include('create pods/exec in namespace shop (run the probes in that container)');
    expect(checks).to.include("patch networkpolicies.networking.k8s.io in namespace shop (apply and remove the suite's policies)");
    expect(checks.filter((c) => c.includes('kube-system'))).to.have.length(3);
  });

  it('lists every missing permission in one usage error; asks nothing when nothing is probed in place', async () => {
    const asked: AccessNeed[] = [];
    const review = async (c: AccessNeed) => (asked.push(c), !(c.subresource === 'ephemeralcontainers' || (c.resource === 'networkpolicies' && c.verb === 'delete')));
    const e = await checkInPlaceAccess(suite, ['shop'], { review, servesEphemeral: async () => true }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(UsageError);
    const lines = (e as Error).message.split('\n').slice(1).map((l) => l.trim());
    expect(lines).to.deep.equal([
      'patch pods/ephemeralcontainers in namespace kube-system (add the probe or witness ephemeral container)',
      'patch pods/ephemeralcontainers in namespace shop (add the probe or witness ephemeral container)',
      "delete networkpolicies.networking.k8s.io in namespace shop (apply and remove the suite's policies)",
    ]);
    const none = Suite.parse({ ...suite, workloads: suite.workloads.map((w) => ({ ...w, source: false, witness: false })) });
    asked.length = 0;
    await checkInPlaceAccess(none, ['shop'], { review, servesEphemeral: async () => false });
    expect(asked).to.deep.equal([]);
  });

  it('a cluster without pods/ephemeralcontainers is a usage error naming the workloads', async () => {
    const e = await checkInPlaceAccess(suite, ['shop'], { review: async () => true, servesEphemeral: async () => false }).catch((x: unknown) => x);
    expect(e).to.be.instanceOf(UsageError);
    expect((e as Error).message).to.include('does not serve pods/ephemeralcontainers').and.include('kube-system/coredns, shop/db');
  });
});
