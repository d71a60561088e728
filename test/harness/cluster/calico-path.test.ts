// The Calico path of a run (issue 11): images on the nodes before the install, the dataplane patch,
// and kube-proxy's mode. Against the pinned manifest when this workspace has it (../shared/calico/).
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { KubeConfig } from '@kubernetes/client-node';
import { CALICO_IMAGES, CALICO_MANIFEST_URL, NFTABLES_MODE_ENV, calicoInstaller, kubeProxyMode, manifestImages, parseManifest, withCalicoDataplane } from '../../../harness/cluster/cni/index.js';
import { preloadAndInstallCni } from '../../../harness/cluster/cni/bring-up.js';
import { KindCluster, kindConfig } from '../../../harness/cluster/providers/kind.js';
import type { KObject } from '../../../harness/cluster/kube-types.js';
import { findPackageFile } from '../../../harness/cluster/paths.js';
import type { Progress } from '../../../harness/cluster/progress.js';
import { InfraError } from '../../../harness/errors.js';
import { FakeKube, fakeClock } from './fake-kube.js';
import { FakeRunner, fakeCluster, suite } from './helpers.js';

const PINNED_REL = 'shared/calico/calico-vxlan-v3.32.1.yaml';
const PINNED = findPackageFile(PINNED_REL);

const SMALL = [
  'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: felixconfigurations.crd.projectcalico.org}',
  'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: calico-node, namespace: kube-system}\nspec:\n  template:\n    spec:\n      initContainers: [{name: install-cni, image: "quay.io/calico/cni:v3.32.1"}]\n      containers:\n      - name: calico-node\n        image: "quay.io/calico/node:v3.32.1"\n        env: [{name: DATASTORE_TYPE, value: kubernetes}]',
  'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: calico-kube-controllers, namespace: kube-system}\nspec:\n  replicas: 1\n  template:\n    spec:\n      containers: [{name: c, image: "quay.io/calico/kube-controllers:v3.32.1"}]',
].join('\n---\n');

type Env = { name: string; value?: string }[];
const nodeEnv = (objs: KObject[]): Env =>
  ((objs.find((o) => o.kind === 'DaemonSet' && o.metadata.name === 'calico-node')!.spec as { template: { spec: { containers: { name: string; env?: Env }[] } } }).template.spec.containers.find((c) => c.name === 'calico-node')!.env ?? []);

function recordingProgress(): Progress & { infos: string[]; warnings: string[] } {
  const infos: string[] = [];
  const warnings: string[] = [];
  return { infos, warnings, step: () => () => undefined, info: (m) => void infos.push(m), warn: (m) => void warnings.push(m) };
}

describe('cluster/cni: the Calico path', () => {
  describe('the pinned manifest', () => {
    before(function () {
      if (!PINNED) {
        console.log(`      SKIPPED: ${PINNED_REL} is not in this workspace (it sits next to the repository here)`);
        this.skip();
      }
    });

    it('runs exactly the three pinned Calico images', async () => {
      expect(new Set(await calicoInstaller.images({ calicoManifest: PINNED! }))).to.deep.equal(new Set(CALICO_IMAGES));
    });

    it('patched for nftables: calico-node gets FELIX_NFTABLESMODE=Enabled, nothing else changes', () => {
      const objs = parseManifest(readFileSync(PINNED!, 'utf8'), PINNED!);
      expect(nodeEnv(objs).some((e) => e.name === NFTABLES_MODE_ENV)).to.equal(false); // upstream leaves Felix on Auto
      const { objects, replaced } = withCalicoDataplane(objs, 'nftables', PINNED!);
      expect(replaced).to.equal(undefined);
      const env = nodeEnv(objects);
      expect(env.filter((e) => e.name === NFTABLES_MODE_ENV)).to.deep.equal([{ name: NFTABLES_MODE_ENV, value: 'Enabled' }]);
      expect(env.slice(0, -1)).to.deep.equal(nodeEnv(objs));
      // Only the calico-node DaemonSet differs, and the input is untouched.
      const changed = objects.filter((o, i) => JSON.stringify(o) !== JSON.stringify(objs[i]));
      expect(changed.map((o) => `${o.kind}/${o.metadata.name}`)).to.deep.equal(['DaemonSet/calico-node']);
      expect(nodeEnv(objs).some((e) => e.name === NFTABLES_MODE_ENV)).to.equal(false);
      expect(manifestImages(objects)).to.deep.equal(manifestImages(objs));
    });

    it('patched for iptables: Felix pinned to Disabled rather than Auto (which follows kube-proxy)', () => {
      const objs = parseManifest(readFileSync(PINNED!, 'utf8'), PINNED!);
      expect(nodeEnv(withCalicoDataplane(objs, 'iptables', PINNED!).objects).find((e) => e.name === NFTABLES_MODE_ENV)).to.deep.equal({ name: NFTABLES_MODE_ENV, value: 'Disabled' });
    });
  });

  describe('dataplane patch', () => {
    const objs = parseManifest(SMALL, 'small.yaml');

    it('replaces an existing FELIX_NFTABLESMODE and says what it replaced', () => {
      const once = withCalicoDataplane(objs, 'nftables', 'small.yaml').objects;
      const back = withCalicoDataplane(once, 'iptables', 'small.yaml');
      expect(back.replaced).to.equal('Enabled');
      expect(nodeEnv(back.objects).filter((e) => e.name === NFTABLES_MODE_ENV)).to.deep.equal([{ name: NFTABLES_MODE_ENV, value: 'Disabled' }]);
      expect(withCalicoDataplane(once, 'nftables', 'small.yaml').replaced).to.equal(undefined); // same value: nothing to report
    });

    it('a manifest without calico-node cannot take a dataplane: InfraError naming the manifest', () => {
      const none = objs.filter((o) => o.kind !== 'DaemonSet');
      expect(() => withCalicoDataplane(none, 'nftables', 'custom.yaml')).to.throw(InfraError, /custom\.yaml: no DaemonSet calico-node with a container calico-node, so --calico-dataplane nftables cannot be set/);
    });

    it('install applies the patched manifest, and warns when kube-proxy is not in nftables mode', async () => {
      const kube = healthy();
      kube.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: 'kube-system' }, data: { 'config.conf': 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\n' } });
      const progress = recordingProgress();
      await calicoInstaller.install(clusterOver(kube, new FakeRunner()), { calicoDataplane: 'nftables', fetch: fetchOf(SMALL), clock: fakeClock(), progress });
      expect(nodeEnv([kube.find('DaemonSet', 'kube-system', 'calico-node')!]).find((e) => e.name === NFTABLES_MODE_ENV)?.value).to.equal('Enabled');
      expect(progress.warnings.join('\n')).to.include("kube-proxy runs in iptables mode; Calico's nftables dataplane expects kube-proxy in nftables mode");
      expect(await kubeProxyMode(kube)).to.equal('iptables');
    });

    it('kind clusters for the nftables dataplane get kube-proxy in nftables mode', () => {
      const spec = suite().cluster;
      expect(kindConfig(spec, { kubeProxyMode: 'nftables' }).networking.kubeProxyMode).to.equal('nftables');
      expect(kindConfig(spec).networking).not.to.have.property('kubeProxyMode');
    });
  });

  describe('images before the install', () => {
    it('--cni calico: the three Calico images and the agent are loaded into the kind nodes before anything is applied', async () => {
      const order: string[] = [];
      const local = new Set([...CALICO_IMAGES, 'netpol-harness/agent:0.1.0']);
      const runner = new FakeRunner((_file, args) => {
        const line = args.join(' ');
        if (line.startsWith('get nodes')) return { stdout: 'nph-control-plane\nnph-worker\n' };
        if (args[0] === 'image' && args[1] === 'inspect') return local.has(args.at(-1)!) ? { stdout: `sha256:${args.at(-1)}` } : { exitCode: 1 };
        if (args[0] === 'exec') return { exitCode: 1 }; // not on the nodes yet
        if (args[0] === 'load') order.push(`load ${args.slice(4).join(' ')}`);
        return undefined;
      });
      const kube = healthy();
      const applied = kube.onApply!;
      kube.onApply = (o, f) => {
        order.push(`apply ${o.kind}/${o.metadata.name}`);
        applied(o, f);
      };
      const progress = recordingProgress();
      const res = await preloadAndInstallCni(clusterOver(kube, runner), 'calico', {
        agentImage: 'netpol-harness/agent:0.1.0',
        workloadImages: ['registry.local/web:1'],
        fetch: fetchOf(SMALL),
        clock: fakeClock(),
        progress,
        runner,
        docker: 'docker',
      });
      expect(order[0]).to.equal(`load netpol-harness/agent:0.1.0 ${CALICO_IMAGES.join(' ')}`);
      expect(order.slice(1)).to.deep.equal(['apply CustomResourceDefinition/felixconfigurations.crd.projectcalico.org', 'apply DaemonSet/calico-node', 'apply Deployment/calico-kube-controllers']);
      expect(res.install).to.equal('installed');
      expect(res.images).to.deep.equal({ loaded: ['netpol-harness/agent:0.1.0', ...CALICO_IMAGES], pulled: ['registry.local/web:1'] });
      expect(progress.infos).to.include(`preloading 4 images from the local Docker engine: netpol-harness/agent:0.1.0, ${CALICO_IMAGES.join(', ')}`);
      expect(progress.infos).to.include('not in the local Docker engine, so the nodes pull them (unless they have them already): registry.local/web:1');
    });

    it('Calico images the local engine lacks are left to the nodes and said so; the agent is required', async () => {
      const runner = new FakeRunner((_file, args) => {
        if (args.join(' ').startsWith('get nodes')) return { stdout: 'nph-worker\n' };
        if (args[0] === 'image' && args[1] === 'inspect') return args.at(-1) === 'netpol-harness/agent:0.1.0' ? { stdout: 'sha256:a' } : { exitCode: 1 };
        if (args[0] === 'exec') return { exitCode: 1 };
        return undefined;
      });
      const progress = recordingProgress();
      const res = await preloadAndInstallCni(clusterOver(healthy(), runner), 'calico', { agentImage: 'netpol-harness/agent:0.1.0', fetch: fetchOf(SMALL), clock: fakeClock(), progress, runner, docker: 'docker' });
      expect(res.images.pulled).to.deep.equal(CALICO_IMAGES);
      expect(runner.lines().filter((l) => l.includes(' load '))).to.deep.equal(['kind load docker-image --name nph netpol-harness/agent:0.1.0']);
      expect(progress.infos).to.include(`not in the local Docker engine, so the nodes pull them (unless they have them already): ${CALICO_IMAGES.join(', ')}`);
    });

    it('existing clusters: nothing is loaded and no CNI is installed', async () => {
      const kube = healthy();
      const cluster = fakeCluster(kube, { provider: 'existing', createdByUs: false });
      const res = await preloadAndInstallCni(cluster, 'calico', { agentImage: 'a:1', fetch: fetchOf(SMALL), clock: fakeClock() });
      expect(res).to.deep.equal({ install: 'skipped', images: { loaded: [], pulled: [] } });
      expect(kube.ops('apply')).to.deep.equal([]);
    });
  });
});

function fetchOf(text: string) {
  return async (url: string) => {
    expect(url).to.equal(CALICO_MANIFEST_URL);
    return { ok: true, status: 200, statusText: 'OK', text: async () => text };
  };
}

/** DaemonSets and Deployments roll out as soon as they are applied; the node is Ready. */
function healthy(kube = new FakeKube()): FakeKube {
  kube.put({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
  kube.onApply = (o) => {
    if (o.kind === 'DaemonSet') o.status = { desiredNumberScheduled: 2, numberReady: 2, updatedNumberScheduled: 2, numberAvailable: 2 };
    if (o.kind === 'Deployment') o.status = { replicas: 1, availableReplicas: 1, updatedReplicas: 1 };
  };
  return kube;
}

/** A real KindCluster (its loadImages) over a FakeRunner and a FakeKube. */
function clusterOver(kube: FakeKube, runner: FakeRunner): KindCluster {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });
  return new KindCluster('nph', '/tmp/nph-none/kubeconfig', true, '/tmp/nph-none', { keep: false, kind: 'kind', docker: 'docker', runner, progress: recordingProgress() }, kc, kube);
}
