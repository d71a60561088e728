import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { homedir } from 'node:os';
import { parse } from 'yaml';
import { CleanupStack } from '../../../../harness/cluster/cleanup.js';
import { CONTAINERD_OOM_PATCH, KindCluster, createKindCluster, imageIdFromCrictl, kindConfig, renderKindConfig } from '../../../../harness/cluster/providers/kind.js';
import { UsageError } from '../../../../harness/errors.js';
import { ClusterSpec } from '../../../../harness/suite/schema.js';
import { FakeKube } from '../fake-kube.js';
import { FakeRunner } from '../helpers.js';

const spec = (over: Partial<ClusterSpec> = {}) => ClusterSpec.parse({ ...over });

describe('cluster/kind: config', () => {
  it('renders one control plane and N workers, disables the default CNI, sets subnets and the containerd patch', () => {
    const cfg = kindConfig(spec({ nodes: { controlPlanes: 1, workers: 3 }, podSubnet: '10.10.0.0/16', serviceSubnet: '10.20.0.0/16' }));
    expect(cfg.nodes.map((n) => n.role)).to.deep.equal(['control-plane', 'worker', 'worker', 'worker']);
    expect(cfg.networking).to.deep.equal({ disableDefaultCNI: true, podSubnet: '10.10.0.0/16', serviceSubnet: '10.20.0.0/16' });
    expect(cfg.containerdConfigPatches).to.deep.equal([CONTAINERD_OOM_PATCH]);
    expect(CONTAINERD_OOM_PATCH).to.equal('[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n');
    expect(cfg).not.to.have.property('kubeadmConfigPatches');
  });

  it('disables kind\'s default CNI for cni none too (kindnet enforces), and a control-plane-only cluster for 0 workers', () => {
    const cfg = kindConfig(spec({ cni: 'none', nodes: { controlPlanes: 1, workers: 0 } }));
    expect(cfg.networking.disableDefaultCNI).to.equal(true);
    expect(cfg.nodes).to.deep.equal([{ role: 'control-plane' }]);
  });

  it('renders YAML kind parses back to the same object, with kubeadm patches when given', () => {
    const cfg = kindConfig(spec(), { kubeadmConfigPatches: ['kind: KubeletConfiguration\nfailCgroupV1: false\n'] });
    const back = parse(renderKindConfig(cfg)) as unknown;
    expect(back).to.deep.equal(cfg);
    expect(renderKindConfig(cfg)).to.include('kind: Cluster').and.include('apiVersion: kind.x-k8s.io/v1alpha4').and.include('restrict_oom_score_adj = true');
  });
});

describe('cluster/kind: provider', () => {
  // A minimal valid kubeconfig (kind writes the real one).
  const KUBECONFIG = `apiVersion: v1\nkind: Config\nclusters: [{name: kind-x, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: kind-x, user: {token: t}}]\ncontexts: [{name: kind-x, context: {cluster: kind-x, user: kind-x}}]\ncurrent-context: kind-x\n`;
  const fakeMake = (args: ConstructorParameters<typeof KindCluster>) => {
    const kc = new KubeConfig();
    kc.loadFromString(KUBECONFIG);
    return new KindCluster(args[0], args[1], args[2], args[3], args[4], kc, new FakeKube());
  };

  it('creates with an explicit temp kubeconfig, --wait 0s and the node image, and deletes on destroy', async () => {
    let cfgText = '';
    const runner = new FakeRunner((_f, args) => {
      if (args[0] === 'create') {
        const kc = args[args.indexOf('--kubeconfig') + 1]!;
        cfgText = readFileSync(args[args.indexOf('--config') + 1]!, 'utf8');
        return { stdout: '', exitCode: existsSync(kc) ? 1 : (writeKubeconfig(kc), 0) };
      }
      return undefined;
    });
    const writeKubeconfig = (p: string) => writeFileSync(p, KUBECONFIG);
    const cleanup = new CleanupStack();
    const c = await createKindCluster(spec({ nodes: { controlPlanes: 1, workers: 2 } }), { name: 'nph-t', kindBinary: '/opt/kind', nodeImage: 'kindest/node:v1.34.4', cleanup }, { runner });
    const create = runner.calls.find((x) => x.args[0] === 'create')!;
    expect(create.file).to.equal('/opt/kind');
    expect(create.args.slice(0, 4)).to.deep.equal(['create', 'cluster', '--name', 'nph-t']);
    expect(create.args).to.include.members(['--wait', '0s', '--image', 'kindest/node:v1.34.4']);
    const kubeconfig = create.args[create.args.indexOf('--kubeconfig') + 1]!;
    expect(kubeconfig).to.equal(c.kubeconfigPath);
    expect(kubeconfig.startsWith(homedir() + '/.kube')).to.equal(false);
    expect(parse(cfgText)).to.have.nested.property('nodes.length', 3);
    expect(c.createdByUs).to.equal(true);
    expect(c.ephemeral).to.equal(true);
    expect(c.dockerNetwork).to.equal('kind');
    expect(c.context).to.equal('kind-x');
    expect(cleanup.size).to.equal(1);
    await cleanup.run();
    const del = runner.lines().filter((l) => l.includes('delete cluster'));
    expect(del).to.deep.equal([`/opt/kind delete cluster --name nph-t --kubeconfig ${kubeconfig}`]);
    expect(existsSync(kubeconfig)).to.equal(false);
    await c.destroy(); // idempotent
    expect(runner.lines().filter((l) => l.includes('delete cluster'))).to.have.length(1);
  });

  it('refuses an existing cluster name unless reuse, then reads its kubeconfig and never deletes it', async () => {
    const runner = new FakeRunner((_f, args) => {
      if (args.join(' ') === 'get clusters') return { stdout: 'other\nnph-r\n' };
      if (args[0] === 'get' && args[1] === 'kubeconfig') return { stdout: KUBECONFIG };
      return undefined;
    });
    let err: unknown;
    try {
      await createKindCluster(spec(), { name: 'nph-r', kindBinary: 'kind' }, { runner });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(UsageError);
    expect((err as UsageError).hint).to.include('--reuse');
    const c = await createKindCluster(spec(), { name: 'nph-r', kindBinary: 'kind', reuse: true }, { runner, makeCluster: fakeMake });
    expect(c.createdByUs).to.equal(false);
    expect(runner.lines()).not.to.satisfy((ls: string[]) => ls.some((l) => l.includes('create cluster')));
    await c.destroy();
    expect(runner.lines().some((l) => l.includes('delete cluster'))).to.equal(false);
  });

  it('keep leaves the cluster running', async () => {
    const runner = new FakeRunner();
    const c = await createKindCluster(spec(), { name: 'nph-k', kindBinary: 'kind', keep: true }, { runner, makeCluster: fakeMake });
    expect(c.ephemeral).to.equal(false);
    await c.destroy();
    expect(runner.lines().some((l) => l.includes('delete cluster'))).to.equal(false);
    expect(existsSync(c.kubeconfigPath.replace(/kubeconfig$/, ''))).to.equal(true); // kept for the user
    rmSync(path.dirname(c.kubeconfigPath), { recursive: true, force: true });
  });

  it('loads the local images while kind create bootstraps the nodes, once all node containers run and containerd answers', async () => {
    const calls: string[] = [];
    let loaded!: () => void;
    const load = new Promise<void>((r) => (loaded = r));
    let ps = 0;
    const runner = {
      async run(file: string, args: string[]) {
        const line = [file, ...args].join(' ');
        calls.push(line);
        if (args[0] === 'create') {
          // Creation is still running when the images are loaded.
          await load;
          calls.push('(create ends)');
          return { stdout: '', stderr: '', exitCode: 0 };
        }
        if (args[0] === 'load') loaded();
        if (args[0] === 'image') return { stdout: 'sha256:x', stderr: '', exitCode: args.includes('not-local:1') ? 1 : 0 };
        // The nodes appear one reading at a time.
        if (args[0] === 'ps') return { stdout: ['n1', 'n2', 'n3'].slice(0, ++ps).join('\n'), stderr: '', exitCode: 0 };
        return { stdout: '', stderr: '', exitCode: 0 };
      },
    };
    const c = await createKindCluster(spec({ nodes: { controlPlanes: 1, workers: 2 } }), { name: 'nph-p', kindBinary: 'kind', dockerBinary: 'docker', preloadImages: ['agent:1', 'not-local:1'] }, { runner, makeCluster: fakeMake });
    const loadAt = calls.indexOf('kind load docker-image --name nph-p agent:1');
    expect(loadAt, 'only the image the local engine has is loaded').to.be.greaterThan(-1);
    expect(loadAt).to.be.below(calls.indexOf('(create ends)'));
    expect(calls.filter((l) => l.startsWith('docker exec') && l.endsWith('ctr --namespace k8s.io version'))).to.have.length(3);
    expect(calls.filter((l) => l.startsWith('docker ps')).length, 'it waited for all three nodes').to.be.at.least(3);
    rmSync(path.dirname(c.kubeconfigPath), { recursive: true, force: true });
  });

  it('cleanup during creation stops kind create, deletes the cluster and sweeps nodes that appear late', async () => {
    let psCalls = 0;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const runner = {
      calls: [] as string[],
      async run(file: string, args: string[], opts?: { signal?: AbortSignal }) {
        this.calls.push([file, ...args].join(' '));
        if (args[0] === 'create') {
          started();
          // kind create runs until the abort signal stops it.
          await new Promise<void>((resolve) => opts?.signal?.addEventListener('abort', () => resolve()));
          return { stdout: '', stderr: 'terminated', exitCode: 143 };
        }
        if (file === 'docker' && args[0] === 'ps') {
          psCalls++;
          // an orphaned `docker run` lands after the delete: the node shows up on the second sweep only
          return { stdout: psCalls === 2 ? 'late-node-id' : '', stderr: '', exitCode: 0 };
        }
        return { stdout: '', stderr: '', exitCode: 0 };
      },
    };
    const cleanup = new CleanupStack({});
    const creating = createKindCluster(spec(), { name: 'nph-k', kindBinary: 'kind', dockerBinary: 'docker', cleanup }, { runner, makeCluster: fakeMake, sweepIntervalMs: 1 });
    const settled = creating.catch(() => undefined);
    await running;
    await cleanup.run();
    await settled;
    const deleteAt = runner.calls.findIndex((l) => l.startsWith('kind delete cluster --name nph-k'));
    expect(deleteAt).to.be.greaterThan(runner.calls.findIndex((l) => l.startsWith('kind create cluster')));
    expect(runner.calls).to.include('docker rm -f -v late-node-id');
    expect(psCalls).to.be.greaterThan(2);
  });

  it('a failed create deletes the half-made cluster and reports kind\'s output', async () => {
    const runner = new FakeRunner((_f, args) => (args[0] === 'create' ? { exitCode: 1, stderr: 'ERROR: failed to init node with kubeadm' } : undefined));
    let err: Error | undefined;
    try {
      await createKindCluster(spec(), { name: 'nph-f', kindBinary: 'kind' }, { runner, makeCluster: fakeMake });
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.include('failed to init node with kubeadm');
    expect(runner.lines().some((l) => l.startsWith('kind delete cluster --name nph-f'))).to.equal(true);
  });

  it('loadImages skips images every node already has with the same ID and loads the rest in one kind load', async () => {
    const runner = new FakeRunner((file, args) => {
      const line = args.join(' ');
      if (line === 'get nodes --name nph-i') return { stdout: 'nph-i-control-plane\nnph-i-worker\n' };
      if (line.startsWith('image inspect')) return args.at(-1) === 'missing:1' || args.at(-1) === 'node-only:1' ? { exitCode: 1 } : { stdout: args.at(-1) === 'new:1' ? 'sha256:new' : 'sha256:same' };
      if (args[0] === 'exec') {
        const img = args.at(-1);
        if (img === 'same:1') return { stdout: JSON.stringify({ status: { id: 'sha256:same' } }) };
        if (img === 'new:1') return args[1] === 'nph-i-worker' ? { stdout: JSON.stringify({ status: { id: 'sha256:old' } }) } : { exitCode: 1 };
        if (img === 'node-only:1') return { stdout: JSON.stringify({ status: { id: 'sha256:x' } }) };
        return { exitCode: 1 };
      }
      void file;
      return undefined;
    });
    const c = await createKindCluster(spec(), { name: 'nph-i', kindBinary: 'kind', dockerBinary: 'docker', reuse: true }, {
      runner: new FakeRunner((_f, a) => (a.join(' ') === 'get clusters' ? { stdout: 'nph-i' } : { stdout: KUBECONFIG })),
      makeCluster: (a) => fakeMake([a[0], a[1], a[2], a[3], { ...a[4], runner }]),
    });
    await c.loadImages(['same:1', 'new:1', 'node-only:1', 'same:1']);
    const loads = runner.lines().filter((l) => l.includes(' load '));
    expect(loads).to.deep.equal(['kind load docker-image --name nph-i new:1']);
    let err: Error | undefined;
    try {
      await c.loadImages(['missing:1']);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).to.include('missing:1 is neither in the local Docker engine nor on nodes');
    await c.destroy(); // a reused cluster: only its temp kubeconfig goes
    expect(existsSync(c.kubeconfigPath)).to.equal(false);
  });

  it('reads the image ID from crictl inspecti JSON', () => {
    expect(imageIdFromCrictl('{"status":{"id":"sha256:abc"}}')).to.equal('sha256:abc');
    expect(imageIdFromCrictl('not json')).to.equal(undefined);
  });
});

