// The kind provider: a throwaway multi-node cluster from a config the harness generates.
// Every kind call gets an explicit --kubeconfig in a temp dir, so ~/.kube/config is never touched.
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { InfraError, UsageError } from '../../errors.js';
import type { ClusterSpec } from '../../suite/schema.js';
import { execaRunner, runChecked, type CommandRunner } from '../command.js';
import { ClientNodeKubeClient, type KubeClient } from '../kube-client.js';
import { setting } from '../paths.js';
import { silentProgress, withStep, type Progress } from '../progress.js';
import { listNodes, type Cluster, type CreateClusterOptions, type NodeInfo } from '../cluster.js';

/**
 * Hosts without CAP_SYS_RESOURCE cannot set negative oom_score_adj; containerd's rootless knob
 * clamps instead of failing every pod. Harmless where the capability exists.
 */
export const CONTAINERD_OOM_PATCH = '[plugins."io.containerd.grpc.v1.cri"]\n  restrict_oom_score_adj = true\n';

export interface KindConfig {
  kind: 'Cluster';
  apiVersion: 'kind.x-k8s.io/v1alpha4';
  networking: { disableDefaultCNI: boolean; podSubnet: string; serviceSubnet: string; kubeProxyMode?: 'iptables' | 'nftables' };
  nodes: { role: 'control-plane' | 'worker' }[];
  containerdConfigPatches: string[];
  kubeadmConfigPatches?: string[];
}

export interface KindConfigOptions {
  kubeadmConfigPatches?: string[];
  /** kube-proxy's mode (kind's default: iptables). Calico's nftables dataplane wants nftables. */
  kubeProxyMode?: 'iptables' | 'nftables';
}

/** The kind cluster config for a suite's cluster spec (pure). */
export function kindConfig(spec: ClusterSpec, opts: KindConfigOptions = {}): KindConfig {
  const cfg: KindConfig = {
    kind: 'Cluster',
    apiVersion: 'kind.x-k8s.io/v1alpha4',
    // Always off: every CNI replaces kindnet, `none` included. kindnet enforces NetworkPolicy since
    // kind v0.24 (where the kernel has NFT_QUEUE), so `none` installs a plain bridge CNI instead.
    networking: { disableDefaultCNI: true, podSubnet: spec.podSubnet, serviceSubnet: spec.serviceSubnet },
    nodes: [
      ...Array.from({ length: spec.nodes.controlPlanes }, () => ({ role: 'control-plane' as const })),
      ...Array.from({ length: spec.nodes.workers }, () => ({ role: 'worker' as const })),
    ],
    containerdConfigPatches: [CONTAINERD_OOM_PATCH],
  };
  if (opts.kubeadmConfigPatches?.length) cfg.kubeadmConfigPatches = [...opts.kubeadmConfigPatches];
  if (opts.kubeProxyMode) cfg.networking.kubeProxyMode = opts.kubeProxyMode;
  return cfg;
}

export function renderKindConfig(cfg: KindConfig): string {
  return stringify(cfg, { lineWidth: 0 });
}

export function kindBinary(opts: Pick<CreateClusterOptions, 'kindBinary'>): string {
  return setting(opts.kindBinary, 'NPH_KIND', 'kind')!;
}

export function dockerBinary(opts: Pick<CreateClusterOptions, 'dockerBinary'>): string {
  return setting(opts.dockerBinary, 'NPH_DOCKER', 'docker')!;
}

export async function kindClusters(runner: CommandRunner, kind: string): Promise<string[]> {
  const r = await runChecked(runner, kind, ['get', 'clusters'], 'listing kind clusters');
  return r.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^No kind clusters/i.test(l));
}

export class KindCluster implements Cluster {
  readonly provider = 'kind' as const;
  readonly kubeConfig: KubeConfig;
  readonly client: KubeClient;
  readonly context: string;
  readonly dockerNetwork: string;
  private destroyed = false;

  constructor(
    readonly name: string,
    readonly kubeconfigPath: string,
    readonly createdByUs: boolean,
    private readonly tmpDir: string,
    private readonly opts: { keep: boolean; kind: string; docker: string; runner: CommandRunner; progress: Progress },
    kubeConfig?: KubeConfig,
    client?: KubeClient,
  ) {
    if (kubeConfig) this.kubeConfig = kubeConfig;
    else {
      this.kubeConfig = new KubeConfig();
      this.kubeConfig.loadFromFile(kubeconfigPath);
    }
    this.context = this.kubeConfig.getCurrentContext();
    this.client = client ?? new ClientNodeKubeClient(this.kubeConfig);
    // kind's own override for the network it puts nodes on.
    this.dockerNetwork = process.env.KIND_EXPERIMENTAL_DOCKER_NETWORK || 'kind';
  }

  get ephemeral(): boolean {
    return this.createdByUs && !this.opts.keep;
  }

  nodes(): Promise<NodeInfo[]> {
    return listNodes(this.client);
  }

  /** Node container names (`<name>-control-plane`, `<name>-worker`, ...). */
  async nodeContainers(): Promise<string[]> {
    const r = await runChecked(this.opts.runner, this.opts.kind, ['get', 'nodes', '--name', this.name], `listing nodes of kind cluster ${this.name}`);
    return r.stdout
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !/^No kind nodes/i.test(l));
  }

  /** Images this run loaded while `kind create` bootstrapped the nodes: on every node already. */
  private readonly loadedAtCreation = new Set<string>();

  /** Records images loaded during creation (loadImages then skips them). */
  markLoaded(images: Iterable<string>): void {
    for (const i of images) this.loadedAtCreation.add(i);
  }

  async loadImages(images: string[]): Promise<void> {
    const { runner, docker, kind } = this.opts;
    const wanted = [...new Set(images)].filter((i) => !this.loadedAtCreation.has(i));
    if (wanted.length === 0) return;
    const nodes = await this.nodeContainers();
    // Every image on every node at once: one docker exec each, which on a busy machine take a second apiece.
    const checked = await Promise.all(
      wanted.map(async (image) => {
        const local = await runner.run(docker, ['image', 'inspect', '--format', '{{.Id}}', image]);
        const localId = local.exitCode === 0 ? local.stdout.trim() : undefined;
        const onNodes = await Promise.all(
          nodes.map(async (node) => {
            const r = await runner.run(docker, ['exec', node, 'crictl', 'inspecti', '-o', 'json', image]);
            const nodeId = r.exitCode === 0 ? imageIdFromCrictl(r.stdout) : undefined;
            // The same image ID means the same content: loading again would only cost a docker save.
            return nodeId === undefined || (localId !== undefined && nodeId !== localId) ? node : undefined;
          }),
        );
        return { image, localId, missing: onNodes.filter((n): n is string => n !== undefined) };
      }),
    );
    const toLoad: string[] = [];
    for (const { image, localId, missing } of checked) {
      if (missing.length === 0) continue;
      if (localId === undefined) {
        throw new InfraError(`image ${image} is neither in the local Docker engine nor on node${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, {
          hint: `build or pull it first (docker pull ${image}, or npm run images on air-gapped hosts)`,
        });
      }
      toLoad.push(image);
    }
    if (toLoad.length === 0) return;
    await withStep(this.opts.progress, `loading ${toLoad.length} image${toLoad.length > 1 ? 's' : ''} into kind cluster ${this.name}`, () =>
      runChecked(runner, kind, ['load', 'docker-image', '--name', this.name, ...toLoad], 'kind load docker-image'),
    );
  }

  async destroy(): Promise<void> {
    if (this.destroyed) return;
    if (this.createdByUs && !this.opts.keep) {
      await withStep(this.opts.progress, `deleting kind cluster ${this.name}`, () =>
        runChecked(this.opts.runner, this.opts.kind, ['delete', 'cluster', '--name', this.name, '--kubeconfig', this.kubeconfigPath], `deleting kind cluster ${this.name}`),
      );
    }
    this.destroyed = true;
    // A kept cluster keeps its kubeconfig file too: the user was told where it is.
    if (!this.opts.keep) await rm(this.tmpDir, { recursive: true, force: true });
  }
}

export function imageIdFromCrictl(json: string): string | undefined {
  try {
    const v = JSON.parse(json) as { status?: { id?: string } };
    return v.status?.id || undefined;
  } catch {
    return undefined;
  }
}

export interface KindDeps {
  runner?: CommandRunner;
  /** Builds the Cluster from a kubeconfig file (tests replace it to avoid a real client). */
  makeCluster?: (args: ConstructorParameters<typeof KindCluster>) => KindCluster;
  /** Pause between sweeps for orphaned node containers after an interrupted create (tests shorten it). */
  sweepIntervalMs?: number;
}

export async function createKindCluster(spec: ClusterSpec, opts: CreateClusterOptions = {}, deps: KindDeps = {}): Promise<KindCluster> {
  const runner = deps.runner ?? opts.runner ?? execaRunner;
  const progress = opts.progress ?? silentProgress;
  const kind = kindBinary(opts);
  const docker = dockerBinary(opts);
  const name = opts.name ?? spec.name ?? 'netpol-harness';
  const keep = opts.keep ?? false;
  const make = deps.makeCluster ?? ((a) => new KindCluster(...a));
  const common = { keep, kind, docker, runner, progress };

  const existing = await kindClusters(runner, kind);
  if (existing.includes(name) && !opts.reuse) {
    throw new UsageError(`a kind cluster named ${name} already exists`, {
      hint: `pass --reuse to run against it, or delete it: ${kind} delete cluster --name ${name}`,
    });
  }
  const tmpDir = await mkdtemp(path.join(tmpdir(), `nph-kind-${name}-`));
  const kubeconfigPath = path.join(tmpDir, 'kubeconfig');
  if (existing.includes(name)) {
    progress.info(`reusing kind cluster ${name}`);
    const r = await runChecked(runner, kind, ['get', 'kubeconfig', '--name', name], `reading the kubeconfig of kind cluster ${name}`);
    await writeFile(kubeconfigPath, r.stdout.endsWith('\n') ? r.stdout : `${r.stdout}\n`, { mode: 0o600 });
    const cluster = make([name, kubeconfigPath, false, tmpDir, common]);
    opts.cleanup?.push(`temp files of kind cluster ${name}`, () => cluster.destroy());
    return cluster;
  }

  const cfgPath = path.join(tmpDir, 'kind-config.yaml');
  const cfgOpts: KindConfigOptions = {
    ...(opts.kubeadmConfigPatches ? { kubeadmConfigPatches: opts.kubeadmConfigPatches } : {}),
    ...(opts.kubeProxyMode ? { kubeProxyMode: opts.kubeProxyMode } : {}),
  };
  await writeFile(cfgPath, renderKindConfig(kindConfig(spec, cfgOpts)));
  const nodeImage = setting(opts.nodeImage, 'NPH_NODE_IMAGE');
  const args = ['create', 'cluster', '--name', name, '--config', cfgPath, '--kubeconfig', kubeconfigPath, '--wait', '0s'];
  if (nodeImage) args.push('--image', nodeImage);

  // Registered before creation starts: a run killed mid-create still deletes the half-made cluster.
  // The in-flight `kind create` is stopped first; otherwise it keeps creating nodes after the delete.
  const abort = new AbortController();
  let creating: Promise<unknown> | undefined;
  let settled = false;
  let deleting: Promise<void> | undefined;
  // Once only: the cleanup disposer and the failed-create path may both ask for it.
  const forceDelete = (): Promise<void> => (deleting ??= deleteHalfMade());
  const deleteHalfMade = async (): Promise<void> => {
    // Interrupted = `kind create` was still running (a signal), as opposed to having failed on its own.
    const interrupted = creating !== undefined && !settled;
    abort.abort();
    await creating?.catch(() => undefined);
    await runner.run(kind, ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfigPath]);
    // `docker run`s that kind had in flight when it was stopped are orphaned and can still produce a
    // node after the delete: sweep by kind's cluster label, a few times when creation was cut short.
    const sweep = async (): Promise<void> => {
      const left = await runner.run(docker, ['ps', '-aq', '--filter', `label=io.x-k8s.kind.cluster=${name}`]);
      const ids = left.stdout.trim().split(/\s+/).filter(Boolean);
      if (left.exitCode === 0 && ids.length > 0) await runner.run(docker, ['rm', '-f', '-v', ...ids]);
    };
    await sweep();
    if (interrupted) {
      for (let i = 0; i < 5; i++) {
        await new Promise((r) => setTimeout(r, deps.sweepIntervalMs ?? 1000));
        await sweep();
      }
    }
  };
  const made: { cluster?: KindCluster } = {};
  const unregister = opts.cleanup?.push(`kind cluster ${name}`, () => (made.cluster ? made.cluster.destroy() : keep ? undefined : forceDelete()), {
    keptHint: `delete it with: ${kind} delete cluster --name ${name}; kubeconfig: ${kubeconfigPath}`,
  });
  const workers = spec.nodes.workers;
  // Images go on the nodes while kubeadm bootstraps them (it waits on the API server, not on us).
  // It stops waiting for the nodes when creation ends (done or failed): then it is too late to help.
  const createDone = new AbortController();
  const preloading = opts.preloadImages?.length && process.env.NPH_PRELOAD_DURING_CREATE !== '0' ? preloadWhileCreating(name, spec.nodes.controlPlanes + workers, opts.preloadImages, { runner, kind, docker, signal: createDone.signal }) : undefined;
  // Its failure is reported after creation; until then nothing may go unhandled.
  preloading?.catch(() => undefined);
  try {
    await withStep(progress, `creating kind cluster ${name} (${spec.nodes.controlPlanes} control plane, ${workers} worker${workers === 1 ? '' : 's'}${nodeImage ? `, ${nodeImage}` : ''})`, () =>
      (creating = runChecked(runner, kind, args, `creating kind cluster ${name}`, {
        signal: abort.signal,
        timeoutMs: opts.timeoutMs ?? 600_000,
        hint: 'see the kind output above; on hosts without registry access build the node image first (npm run images)',
      }).finally(() => {
        settled = true;
        createDone.abort();
      })),
    );
  } catch (e) {
    // kind removes a failed cluster itself unless --retain; make sure, then drop the temp dir.
    if (!keep) await forceDelete().catch(() => undefined);
    unregister?.();
    await rm(tmpDir, { recursive: true, force: true });
    throw e;
  }
  const preloaded = await preloading?.catch((e: unknown) => (e instanceof Error ? e : new Error(String(e))));
  if (preloaded instanceof Error) progress.info(`images were not loaded during creation (${preloaded.message.split('\n')[0]}); they are loaded now`);
  else if (preloaded?.length) progress.info(`loaded during creation: ${preloaded.join(', ')}`);
  made.cluster = make([name, kubeconfigPath, true, tmpDir, common]);
  if (Array.isArray(preloaded)) made.cluster.markLoaded?.(preloaded);
  return made.cluster;
}

/**
 * Loads the local engine's images among `images` into a kind cluster that `kind create` is still
 * bootstrapping: once all `nodes` node containers run and their containerd answers. Returns what it
 * loaded. Throws on failure (the caller loads them after creation instead); stops when `signal` aborts.
 */
async function preloadWhileCreating(name: string, nodes: number, images: string[], o: { runner: CommandRunner; kind: string; docker: string; signal: AbortSignal }): Promise<string[]> {
  const present = await Promise.all(images.map(async (i) => (await o.runner.run(o.docker, ['image', 'inspect', '--format', '{{.Id}}', i])).exitCode === 0));
  const local = [...new Set(images.filter((_, k) => present[k]))];
  if (local.length === 0) return [];
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (o.signal.aborted) throw new Error('creation ended before the nodes were ready for them');
    if (Date.now() > deadline) throw new Error('the node containers did not come up in 120 s');
    const ps = await o.runner.run(o.docker, ['ps', '-q', '--filter', `label=io.x-k8s.kind.cluster=${name}`]);
    const ids = ps.stdout.trim().split(/\s+/).filter(Boolean);
    if (ps.exitCode === 0 && ids.length >= nodes) {
      const ready = await Promise.all(ids.map(async (id) => (await o.runner.run(o.docker, ['exec', id, 'ctr', '--namespace', 'k8s.io', 'version'])).exitCode === 0));
      if (ready.every(Boolean)) break;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  await runChecked(o.runner, o.kind, ['load', 'docker-image', '--name', name, ...local], 'kind load docker-image (during creation)');
  return local;
}
