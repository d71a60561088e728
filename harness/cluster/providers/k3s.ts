// The k3s provider: one k3s server in a container via @testcontainers/k3s. k3s embeds kube-router's
// NetworkPolicy controller, so it is a second, independent enforcer. Images are side-loaded the
// way k3s's own e2e does: `docker save` tarballs in /var/lib/rancher/k3s/agent/images/ at boot.
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { StartedK3sContainer } from '@testcontainers/k3s';
import { InfraError } from '../../errors.js';
import type { ClusterSpec } from '../../suite/schema.js';
import { execaRunner, runChecked, type CommandRunner } from '../command.js';
import { dockerImagePresent } from '../images.js';
import { dockerBinary } from './kind.js';
import { ClientNodeKubeClient, type KubeClient } from '../kube-client.js';
import { DOCKER_CLUSTER_KEY, DOCKER_RUN_KEY, MANAGED_BY_VALUE } from '../labels.js';
import { setting } from '../paths.js';
import { silentProgress, withStep, type Progress } from '../progress.js';
import { listNodes, type Cluster, type CreateClusterOptions, type NodeInfo } from '../cluster.js';

/** Matches the kind node image's Kubernetes minor; override with NPH_K3S_IMAGE. */
export const K3S_DEFAULT_IMAGE = 'rancher/k3s:v1.34.4-k3s1';
export const K3S_IMAGES_DIR = '/var/lib/rancher/k3s/agent/images';

export function k3sImage(opts: Pick<CreateClusterOptions, 'k3sImage'>): string {
  return setting(opts.k3sImage, 'NPH_K3S_IMAGE', K3S_DEFAULT_IMAGE)!;
}

/** k3s server flags for a suite's cluster spec (pure). Add-ons the harness does not need are off. */
export function k3sServerArgs(spec: ClusterSpec): string[] {
  return ['server', '--disable=traefik', '--disable=servicelb', '--disable=metrics-server', `--cluster-cidr=${spec.podSubnet}`, `--service-cidr=${spec.serviceSubnet}`];
}

/** Where an image's tarball goes in the k3s container so k3s imports it at boot. */
export function k3sImageTarget(image: string): string {
  return `${K3S_IMAGES_DIR}/${image.replace(/[^A-Za-z0-9_.-]+/g, '_')}.tar`;
}

export class K3sCluster implements Cluster {
  readonly provider = 'k3s' as const;
  readonly createdByUs = true;
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly context: string;
  /** testcontainers starts it on Docker's default bridge network. */
  readonly dockerNetwork = 'bridge';
  private destroyed = false;

  constructor(
    readonly name: string,
    readonly kubeconfigPath: string,
    private readonly container: StartedK3sContainer,
    private readonly tmpDir: string,
    private readonly opts: { keep: boolean; docker: string; runner: CommandRunner; progress: Progress },
  ) {
    this.kubeConfig = new KubeConfig();
    this.kubeConfig.loadFromFile(kubeconfigPath);
    this.context = this.kubeConfig.getCurrentContext();
    this.client = new ClientNodeKubeClient(this.kubeConfig);
  }

  get ephemeral(): boolean {
    return !this.opts.keep;
  }

  get containerId(): string {
    return this.container.getId();
  }

  nodes(): Promise<NodeInfo[]> {
    return listNodes(this.client);
  }

  async loadImages(images: string[]): Promise<void> {
    for (const image of [...new Set(images)]) {
      const present = await this.container.exec(['ctr', '-n', 'k8s.io', 'images', 'inspect', image]).catch(() => ({ exitCode: 1 }));
      if (present.exitCode === 0) continue;
      const tar = path.join(this.tmpDir, `${image.replace(/[^A-Za-z0-9_.-]+/g, '_')}.tar`);
      await withStep(this.opts.progress, `loading ${image} into k3s`, async () => {
        await runChecked(this.opts.runner, this.opts.docker, ['save', '-o', tar, image], `docker save ${image}`);
        await this.container.copyFilesToContainer([{ source: tar, target: '/tmp/nph-image.tar' }]);
        const r = await this.container.exec(['ctr', '-n', 'k8s.io', 'images', 'import', '/tmp/nph-image.tar']);
        await rm(tar, { force: true });
        if (r.exitCode !== 0) throw new InfraError(`importing ${image} into k3s failed: ${r.output.trim()}`);
      });
    }
  }

  async destroy(): Promise<void> {
    if (this.destroyed || this.opts.keep) return;
    this.destroyed = true;
    await withStep(this.opts.progress, `stopping k3s container ${this.name}`, async () => {
      await this.container.stop({ remove: true, removeVolumes: true });
    });
    await rm(this.tmpDir, { recursive: true, force: true });
  }
}

export async function createK3sCluster(spec: ClusterSpec, opts: CreateClusterOptions = {}): Promise<K3sCluster> {
  const runner = opts.runner ?? execaRunner;
  const progress = opts.progress ?? silentProgress;
  const docker = dockerBinary(opts);
  const image = k3sImage(opts);
  const name = opts.name ?? spec.name ?? 'netpol-harness';
  const keep = opts.keep ?? false;
  if (opts.reuse) progress.warn('k3s: --reuse is not supported; starting a new k3s container');
  if (spec.nodes.workers > 0) progress.warn(`k3s: runs a single node; the suite's ${spec.nodes.workers} worker(s) are ignored (no cross-node paths)`);
  if (!(await dockerImagePresent(image, runner, docker))) {
    throw new InfraError(`k3s image ${image} is not in the local Docker engine`, {
      hint: `docker pull ${image} (or docker load it on hosts without registry access), or pick another with NPH_K3S_IMAGE=<image>`,
    });
  }
  // Ryuk (the reaper) needs its own image from a registry; the harness removes what it starts itself.
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  const { K3sContainer } = await import('@testcontainers/k3s');
  const tmpDir = await mkdtemp(path.join(tmpdir(), `nph-k3s-${name}-`));
  const containerName = `nph-k3s-${name}`;
  try {
    const files: { source: string; target: string }[] = [];
    for (const img of [...new Set(opts.preloadImages ?? [])]) {
      const tar = path.join(tmpDir, `${img.replace(/[^A-Za-z0-9_.-]+/g, '_')}.tar`);
      await withStep(progress, `saving ${img} for k3s`, () => runChecked(runner, docker, ['save', '-o', tar, img], `docker save ${img}`));
      files.push({ source: tar, target: k3sImageTarget(img) });
    }
    const container = new K3sContainer(image)
      .withCommand(k3sServerArgs(spec))
      .withName(containerName)
      .withLabels({ [DOCKER_CLUSTER_KEY]: name, [DOCKER_RUN_KEY]: MANAGED_BY_VALUE })
      .withStartupTimeout(opts.timeoutMs ?? 300_000);
    if (files.length) container.withCopyFilesToContainer(files);
    const made: { cluster?: K3sCluster } = {};
    // Registered before start: a run killed while k3s boots removes the container by name.
    opts.cleanup?.push(
      `k3s container ${containerName}`,
      async () => {
        if (made.cluster) await made.cluster.destroy();
        else if (!keep) await runner.run(docker, ['rm', '--force', '--volumes', containerName]);
      },
      { keptHint: `remove it with: ${docker} rm -f ${containerName}` },
    );
    let started: StartedK3sContainer;
    try {
      started = await withStep(progress, `starting k3s ${image}`, () => container.start());
    } catch (e) {
      if (!keep) await runner.run(docker, ['rm', '--force', '--volumes', containerName]);
      throw e;
    }
    const kubeconfigPath = path.join(tmpDir, 'kubeconfig');
    await writeFile(kubeconfigPath, started.getKubeConfig(), { mode: 0o600 });
    for (const f of files) await rm(f.source, { force: true });
    made.cluster = new K3sCluster(name, kubeconfigPath, started, tmpDir, { keep, docker, runner, progress });
    return made.cluster;
  } catch (e) {
    if (!keep) await rm(tmpDir, { recursive: true, force: true });
    throw e instanceof InfraError ? e : new InfraError(`starting k3s failed: ${(e as Error).message}`, { cause: e });
  }
}
