// CNI detection on clusters the harness did not set up: calico-node in kube-system (manifest) or
// calico-system (operator), with its version and Felix dataplane; kube-router from its own manifest;
// k3s's embedded controller; "unknown" otherwise, saying what could not be read.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { calicoDataplane, describeCni, detectCni, identifyCni, imageTag } from '../../../../harness/cluster/cni/detect.js';
import { parseManifest } from '../../../../harness/cluster/cni/index.js';
import type { KObject } from '../../../../harness/cluster/kube-types.js';
import { FakeKube } from '../fake-kube.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..', '..');

function calicoNode(namespace: string, image: string, env: { name: string; value: string }[] = []): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'calico-node', namespace },
    spec: { template: { spec: { initContainers: [{ name: 'install-cni', image: 'quay.io/calico/cni:v3.32.1' }], containers: [{ name: 'calico-node', image, env: [{ name: 'CALICO_NETWORKING_BACKEND', value: 'vxlan' }, ...env] }] } } },
  };
}

const kubeRouterDs = (): KObject => parseManifest(readFileSync(path.join(ROOT, 'clusters/cni/kube-router.yaml'), 'utf8'), 'kube-router.yaml').find((o) => o.kind === 'DaemonSet')!;

describe('cluster/cni/detect', () => {
  it('picks calico from a calico-node DaemonSet in kube-system (manifest install), with its version and dataplane', async () => {
    const kube = new FakeKube();
    kube.put(calicoNode('kube-system', 'quay.io/calico/node:v3.32.1', [{ name: 'FELIX_NFTABLESMODE', value: 'Enabled' }]));
    const d = await detectCni(kube);
    expect(d).to.deep.include({ name: 'calico', version: 'v3.32.1', dataplane: 'nftables' });
    expect(d.evidence).to.equal('DaemonSet kube-system/calico-node (image quay.io/calico/node:v3.32.1)');
    expect(describeCni(d)).to.equal('calico v3.32.1 (nftables dataplane)');
  });

  it('picks calico from calico-system (operator install); Felix Auto follows kube-proxy, a FelixConfiguration wins over it', async () => {
    const kube = new FakeKube();
    kube.put(calicoNode('calico-system', 'docker.io/calico/node:v3.31.0'));
    kube.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': 'mode: nftables\n' } });
    expect(await detectCni(kube)).to.deep.include({ name: 'calico', version: 'v3.31.0', dataplane: 'nftables' });
    kube.put({ apiVersion: 'crd.projectcalico.org/v1', kind: 'FelixConfiguration', metadata: { name: 'default' }, spec: { bpfEnabled: true } });
    expect((await detectCni(kube)).dataplane).to.equal('bpf');
  });

  it('the dataplane: env first, then FelixConfiguration, then kube-proxy mode (iptables by default)', () => {
    expect(calicoDataplane({ FELIX_NFTABLESMODE: 'Disabled' }, { nftablesMode: 'Enabled' }, 'nftables')).to.equal('iptables');
    expect(calicoDataplane({}, { nftablesMode: 'Enabled' }, undefined)).to.equal('nftables');
    expect(calicoDataplane({ FELIX_BPFENABLED: 'true' }, undefined, undefined)).to.equal('bpf');
    expect(calicoDataplane({}, undefined, '')).to.equal('iptables');
    expect(calicoDataplane({ FELIX_NFTABLESMODE: 'Auto' }, undefined, 'nftables')).to.equal('nftables');
  });

  it('picks kube-router from its own manifest\'s DaemonSet', async () => {
    const kube = new FakeKube();
    kube.put(kubeRouterDs());
    kube.put({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, spec: { template: { spec: { containers: [{ name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.34.4' }] } } } });
    const d = await detectCni(kube);
    expect(d).to.deep.include({ name: 'kube-router', version: 'v2.10.0' });
    expect(d.dataplane).to.equal(undefined);
  });

  it('calico wins over flannel (canal-style installs: Calico enforces, flannel routes)', () => {
    const flannel: KObject = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-flannel-ds', namespace: 'kube-flannel' }, spec: { template: { spec: { containers: [{ name: 'kube-flannel', image: 'flannel:v0.25' }] } } } };
    expect(identifyCni({ daemonSets: [flannel, calicoNode('kube-system', 'calico/node:v3.30.0')] }).name).to.equal('calico');
    expect(identifyCni({ daemonSets: [flannel] }).name).to.equal('flannel');
  });

  it('k3s: no agent DaemonSet, kubelet +k3s: its embedded kube-router', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'k3s-0' }, status: { nodeInfo: { kubeletVersion: 'v1.31.4+k3s1' } } });
    expect(await detectCni(kube)).to.deep.include({ name: 'kube-router', version: 'v1.31.4+k3s1' });
  });

  it('reports "unknown" otherwise, naming where it looked and what it could not read', async () => {
    const kube = new FakeKube();
    kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { nodeInfo: { kubeletVersion: 'v1.34.4' } } });
    const d = await detectCni(kube);
    expect(d.name).to.equal('unknown');
    expect(d.version).to.equal(undefined);
    expect(d.evidence).to.match(/no recognised CNI agent DaemonSet in kube-system, calico-system/);
    const denied = new FakeKube();
    denied.list = () => Promise.reject(Object.assign(new Error('daemonsets.apps is forbidden'), { code: 403 }));
    const e = await detectCni(denied);
    expect(e.name).to.equal('unknown');
    expect(e.evidence).to.match(/could not read: DaemonSets in kube-system \(.*forbidden/);
  });

  it('image tags: registry ports and digests are not versions', () => {
    expect(imageTag('quay.io/calico/node:v3.32.1')).to.equal('v3.32.1');
    expect(imageTag('localhost:5000/calico/node')).to.equal(undefined);
    expect(imageTag('localhost:5000/calico/node:v3.1@sha256:abc')).to.equal('v3.1');
    expect(imageTag('calico/node@sha256:abc')).to.equal(undefined);
  });
});
