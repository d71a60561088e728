/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CALICO_IMAGES,
  CALICO_MANIFEST_URL,
  KUBE_ROUTER_IMAGE,
  applyObjects,
  calicoInstaller,
  cniInstaller,
  installCni,
  kubeRouterInstaller,
  manifestImages,
  parseManifest,
  readManifestText,
  withKubeRouterImage,
} from '../../../harness/cluster/cni/index.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { findPackageFile } from '../../../harness/cluster/paths.js';
import { InfraError } from '../../../harness/errors.js';
import { FakeKube, fakeClock } from './fake-kube.js';
import { fakeCluster } from './helpers.js';

/** DaemonSets and Deployments become ready as soon as they are applied; nodes are Ready. */
function healthyCluster(kube = new FakeKube()) {
  kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  kube.onApply = (o) => {
    if (o.kind === 'DaemonSet') o.status = { desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3, numberAvailable: 3 };
    if (o.kind === 'Deployment') o.status = { replicas: 1, availableReplicas: 1, updatedReplicas: 1 };
  };
  return kube;
}

const KR_FILE = findPackageFile('clusters/cni/kube-router.yaml')!;

describe('cluster/cni: manifests', () => {
  it('parses multi-document YAML, skipping empty documents and unwrapping Lists', () => {
    const objs = parseManifest('---\n# comment only\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: b}}\n', 'x.yaml');
    expect(objs.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['ConfigMap/a', 'Secret/b']);
  });

  it('reads a URL through fetch, and says how to go offline when it fails', async () => {
    const text = await readManifestText('https://example.invalid/m.yaml', async () => ({ ok: true, status: 200, statusText: 'OK', text: async () => 'kind: X' }));
    expect(text).to.equal('kind: X');
    let err: InfraError | undefined;
    try {
      await readManifestText(CALICO_MANIFEST_URL, async () => Promise.reject(new Error('getaddrinfo ENOTFOUND')));
    } catch (e) {
      err = e as InfraError;
    }
    expect(err?.message).to.include('cannot download https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/calico-vxlan.yaml');
    expect(err?.hint).to.include('--calico-manifest');
  });

  it('applies in order and retries kinds the apiserver does not know yet (CRDs being established)', async () => {
    const kube = new FakeKube();
    let fails = 2;
    kube.failWith = (op, ref) => (op === 'apply' && ref.kind === 'IPPool' && fails-- > 0 ? new Error('Unrecognized API version and kind: crd.projectcalico.org/v1 IPPool') : undefined);
    const objs: KObject[] = [
      { apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'ippools.crd.projectcalico.org' } },
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'IPPool', metadata: { name: 'default' } },
    ];
    await applyObjects(kube, objs, { clock: fakeClock() });
    expect(kube.ops('apply')).to.deep.equal(['CustomResourceDefinition/ippools.crd.projectcalico.org', 'IPPool/default', 'IPPool/default', 'IPPool/default']);
  });
});

describe('cluster/cni: kube-router', () => {
  const objs = parseManifest(readFileSync(KR_FILE, 'utf8'), KR_FILE);
  const ds = objs.find((o) => o.kind === 'DaemonSet')!;
  const pod = (ds.spec as { template: { spec: Record<string, unknown> } }).template.spec as {
    containers: { image: string; imagePullPolicy: string; args: string[]; volumeMounts: { name: string }[] }[];
    initContainers: { image: string; command: string[]; imagePullPolicy: string }[];
    volumes: { name: string }[];
    hostNetwork: boolean;
  };

  it('runs router and firewall without service proxy or overlay, on the pinned image, IfNotPresent', () => {
    expect(objs.map((o) => o.kind)).to.deep.equal(['ConfigMap', 'DaemonSet', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding']);
    const c = pod.containers[0]!;
    expect(c.image).to.equal(KUBE_ROUTER_IMAGE);
    expect(c.imagePullPolicy).to.equal('IfNotPresent');
    expect(c.args).to.deep.equal(['--run-router=true', '--run-firewall=true', '--run-service-proxy=false', '--enable-overlay=false', '--bgp-graceful-restart=true']);
    expect(pod.initContainers[0]!.imagePullPolicy).to.equal('IfNotPresent');
    expect(pod.hostNetwork).to.equal(true);
  });

  it('uses in-cluster credentials and an init container that copies the conflist without downloading plugins', () => {
    expect(pod.volumes.map((v) => v.name)).not.to.include('kubeconfig');
    const script = pod.initContainers[0]!.command.join(' ');
    expect(script).to.include('cp /etc/kube-router/cni-conf.json');
    expect(script).to.include('bash /usr/local/bin/cni-install');
    expect(script).not.to.match(/curl|wget/);
    const cm = objs.find((o) => o.kind === 'ConfigMap')!;
    const conf = JSON.parse((cm.data as Record<string, string>)['cni-conf.json']!) as { plugins: { type: string; ipam: { type: string } }[] };
    expect(conf.plugins[0]).to.deep.include({ type: 'bridge' });
    expect(conf.plugins[0]!.ipam.type).to.equal('host-local');
  });

  it('swaps the image without touching the original objects', () => {
    const swapped = withKubeRouterImage(objs, 'registry.local/kube-router:v2.10.0');
    expect(manifestImages(swapped)).to.deep.equal(['registry.local/kube-router:v2.10.0']);
    expect(manifestImages(objs)).to.deep.equal([KUBE_ROUTER_IMAGE]);
  });

  it('installs: applies every object, waits for the DaemonSet and the nodes', async () => {
    const kube = healthyCluster();
    await kubeRouterInstaller.install(fakeCluster(kube), { clock: fakeClock(), kubeRouterImage: KUBE_ROUTER_IMAGE });
    expect(kube.ops('apply')).to.deep.equal([
      'ConfigMap/kube-system/kube-router-cfg',
      'DaemonSet/kube-system/kube-router',
      'ServiceAccount/kube-system/kube-router',
      'ClusterRole/kube-router',
      'ClusterRoleBinding/kube-router',
    ]);
    expect(kube.ops('get')).to.include('DaemonSet/kube-system/kube-router');
  });
});

describe('cluster/cni: calico', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-calico-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const manifest = [
    'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: ippools.crd.projectcalico.org}\nspec:\n  versions:\n  - schema:\n      openAPIV3Schema:\n        properties:\n          mode: {type: string, enum: [a, b], default: a}',
    'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: calico-node, namespace: kube-system}\nspec:\n  template:\n    spec:\n      initContainers: [{name: install-cni, image: "quay.io/calico/cni:v3.32.1"}]\n      containers: [{name: calico-node, image: "quay.io/calico/node:v3.32.1"}]',
    'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: calico-kube-controllers, namespace: kube-system}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: c, image: "quay.io/calico/kube-controllers:v3.32.1"}]',
  ].join('\n---\n');

  it('pins v3.32.1 and the official vxlan manifest URL', () => {
    expect(CALICO_MANIFEST_URL).to.equal('https://raw.githubusercontent.com/projectcalico/calico/v3.32.1/manifests/calico-vxlan.yaml');
    expect(CALICO_IMAGES).to.deep.equal(['quay.io/calico/node:v3.32.1', 'quay.io/calico/cni:v3.32.1', 'quay.io/calico/kube-controllers:v3.32.1']);
  });

  it('applies a local manifest server-side unchanged (CRD schema keywords intact) and waits for node and controllers', async () => {
    const file = path.join(dir, 'calico.yaml');
    writeFileSync(file, manifest);
    const kube = healthyCluster();
    await calicoInstaller.install(fakeCluster(kube), { calicoManifest: file, clock: fakeClock() });
    expect(kube.ops('apply')).to.deep.equal(['CustomResourceDefinition/ippools.crd.projectcalico.org', 'DaemonSet/kube-system/calico-node', 'Deployment/kube-system/calico-kube-controllers']);
    const crd = kube.find('CustomResourceDefinition', undefined, 'ippools.crd.projectcalico.org')!;
    expect(JSON.stringify(crd)).to.include('"enum":["a","b"]').and.include('"default":"a"');
    expect(await calicoInstaller.images({ calicoManifest: file })).to.deep.equal(['quay.io/calico/cni:v3.32.1', 'quay.io/calico/node:v3.32.1', 'quay.io/calico/kube-controllers:v3.32.1']);
  });

  it('fails with an actionable error when calico-node never gets ready', async () => {
    const file = path.join(dir, 'calico2.yaml');
    writeFileSync(file, manifest);
    const kube = healthyCluster();
    kube.onApply = (o) => {
      if (o.kind === 'DaemonSet') o.status = { desiredNumberScheduled: 3, numberReady: 0 };
    };
    let err: InfraError | undefined;
    try {
      await calicoInstaller.install(fakeCluster(kube), { calicoManifest: file, clock: fakeClock(), timeoutMs: 5000 });
    } catch (e) {
      err = e as InfraError;
    }
    expect(err).to.be.instanceOf(InfraError);
    expect(err!.message).to.include('DaemonSet kube-system/calico-node not ready after 5.0s: 0/3 pods ready');
    expect(err!.hint).to.include('quay.io/calico');
  });
});

describe('cluster/cni: installCni', () => {
  it('never installs on an existing cluster, and only waits for nodes on k3s', async () => {
    const kube = healthyCluster();
    expect(await installCni(fakeCluster(kube, { provider: 'existing', createdByUs: false }), 'calico', { clock: fakeClock() })).to.equal('skipped');
    expect(await installCni(fakeCluster(kube, { provider: 'k3s' }), 'calico', { clock: fakeClock() })).to.equal('builtin');
    expect(kube.ops('apply')).to.deep.equal([]);
  });

  it('none never touches an existing cluster and leaves k3s its own enforcer (kind: see cni-none.test.ts)', async () => {
    const kube = healthyCluster();
    expect(await installCni(fakeCluster(kube, { provider: 'existing', createdByUs: false }), 'none', { clock: fakeClock() })).to.equal('skipped');
    expect(await installCni(fakeCluster(kube, { provider: 'k3s' }), 'none', { clock: fakeClock() })).to.equal('builtin');
    expect(kube.ops('apply')).to.deep.equal([]);
    expect(cniInstaller('none').name).to.equal('none');
  });
});
