// External endpoints: containers outside the cluster on the nodes' Docker network, running the
// agent's `serve`, so egress policies with ipBlock can be probed against real addresses.
// Plain docker CLI (not testcontainers): one `docker run` each on a named network, label-based
// leftover cleanup, no Ryuk image to pull on air-gapped hosts (see docs/cluster.md).
import { InfraError, UsageError } from '../errors.js';
import type { CleanupStack } from '../cluster/cleanup.js';
import { execaRunner, runChecked, tail, type CommandRunner } from '../cluster/command.js';
import { dockerBinary } from '../cluster/providers/kind.js';
import { DOCKER_CLUSTER_KEY, DOCKER_EXTERNAL_KEY, DOCKER_RUN_KEY, KIND_CLUSTER_LABEL } from '../cluster/labels.js';
import { silentProgress, withStep, type Progress } from '../cluster/progress.js';
import type { Cluster } from '../cluster/provider.js';
import { pollUntil, type Clock } from '../cluster/wait.js';
import type { ExternalSpec, Suite } from '../suite/schema.js';
import { parseCidr, parseIp, rangeContains, type IpRange } from '../policy/ipblock.js';
import type { NodeModel } from '../policy/model.js';
import type { KubeClient } from '../cluster/kube-client.js';
import type { NodeLike } from '../cluster/kube-types.js';
import { agentServeArgs, defaultAgentImage } from './workloads.js';

export interface ExternalEndpoint {
  name: string;
  containerName: string;
  containerId: string;
  /** Address on `network`, which pods reach through their node. */
  ip: string;
  network: string;
  ports: ExternalSpec['ports'];
  /** Probes run from it too (externals[].source). */
  source: boolean;
}

export interface ExternalsOptions {
  runId: string;
  agentImage?: string;
  /** Docker network (default: the cluster's, e.g. `kind`). */
  network?: string;
  docker?: string;
  runner?: CommandRunner;
  progress?: Progress;
  /** Registers removal of each container before it is started. */
  cleanup?: CleanupStack;
  clock?: Clock;
  /** Deadline for a container to be running with an address (default 30 s). */
  timeoutMs?: number;
}

export function externalContainerName(clusterName: string, external: string): string {
  return `nph-${clusterName}-ext-${external}`;
}

/** `docker run` arguments for one external (pure). `ip`: the address to ask for (in the network's subnet). */
export function externalRunArgs(ext: ExternalSpec, o: { containerName: string; network: string; image: string; runId: string; clusterName: string; ip?: string }): string[] {
  return [
    'run',
    '--detach',
    '--name',
    o.containerName,
    '--network',
    o.network,
    ...(o.ip !== undefined ? ['--ip', o.ip] : []),
    // A source adds routes into the cluster's pod and Service ranges (routeIntoCluster).
    ...(ext.source ? ['--cap-add', 'NET_ADMIN'] : []),
    '--label',
    `${DOCKER_EXTERNAL_KEY}=${ext.name}`,
    '--label',
    `${DOCKER_RUN_KEY}=${o.runId}`,
    '--label',
    `${DOCKER_CLUSTER_KEY}=${o.clusterName}`,
    o.image,
    ...agentServeArgs(ext.ports),
  ];
}

interface InspectState {
  Id?: string;
  State?: { Running?: boolean; Status?: string; ExitCode?: number; Error?: string };
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> };
}

async function inspect(runner: CommandRunner, docker: string, name: string): Promise<InspectState | undefined> {
  const r = await runner.run(docker, ['inspect', '--type', 'container', '--format', '{{json .}}', name]);
  if (r.exitCode !== 0) return undefined;
  try {
    return JSON.parse(r.stdout) as InspectState;
  } catch {
    return undefined;
  }
}

/** The IPv4 subnets of a Docker network (where a fixed external address may be asked for). */
async function networkSubnets(runner: CommandRunner, docker: string, network: string): Promise<IpRange[]> {
  const r = await runner.run(docker, ['network', 'inspect', network, '--format', '{{json .IPAM.Config}}']);
  if (r.exitCode !== 0) return [];
  try {
    const cfg = JSON.parse(r.stdout) as { Subnet?: string }[] | null;
    return (cfg ?? []).map((c) => (c.Subnet ? parseCidr(c.Subnet) : undefined)).filter((x): x is IpRange => x !== undefined);
  } catch {
    return [];
  }
}

/** A route an external source needs to reach the cluster: a pod CIDR through its node, the Service CIDR through the gateway. */
export interface ClusterRoute {
  cidr: string;
  via: string;
}

/**
 * What an external source's container is routed through (pure): every node's pod CIDR via that node,
 * and the whole pod subnet and the Service range via the gateway. The pod subnet route catches pod
 * addresses outside the nodes' spec.podCIDR (Calico's IPAM blocks ignore it): without it they would
 * leave through the Docker host's default route, off this machine.
 */
export function clusterRoutes(nodes: readonly NodeModel[], subnets: { podSubnet: string; serviceSubnet: string }, gateway: NodeModel): ClusterRoute[] {
  const v4 = (s: string): boolean => !s.includes(':');
  const routes = nodes.filter((n) => n.podCIDR !== undefined && v4(n.podCIDR) && v4(n.ip)).map((n) => ({ cidr: n.podCIDR!, via: n.ip }));
  for (const cidr of [subnets.podSubnet, subnets.serviceSubnet]) if (v4(cidr) && v4(gateway.ip)) routes.push({ cidr, via: gateway.ip });
  return routes;
}

/** Adds the routes into the cluster to an external source's container (it runs with NET_ADMIN). */
export async function routeIntoCluster(ext: ExternalEndpoint, routes: readonly ClusterRoute[], opts: { docker?: string; runner?: CommandRunner } = {}): Promise<void> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  for (const r of routes) {
    await runChecked(runner, docker, ['exec', ext.containerName, 'ip', 'route', 'replace', r.cidr, 'via', r.via], `routing external ${ext.name} to ${r.cidr} via ${r.via}`, {
      hint: 'an external source needs NET_ADMIN and the agent image\'s ip command',
    });
  }
}

/** The cluster's nodes as external sources see them, and the gateway: the control plane (no harness workload runs there when there are workers). */
export interface ClusterNetwork {
  nodes: NodeModel[];
  gateway: NodeModel;
  /** The routes external sources were given (set once they are routed). */
  routes?: ClusterRoute[];
}

export async function readClusterNetwork(client: KubeClient): Promise<ClusterNetwork> {
  const nodes = (await client.list<NodeLike>('v1', 'Node'))
    .map((n) => ({ name: n.metadata.name ?? '', ip: n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '', ...(n.spec?.podCIDR ? { podCIDR: n.spec.podCIDR } : {}), cp: 'node-role.kubernetes.io/control-plane' in (n.metadata.labels ?? {}) }))
    .filter((n) => n.name !== '' && n.ip !== '')
    .sort((a, b) => a.name.localeCompare(b.name));
  const gw = nodes.find((n) => n.cp) ?? nodes[0];
  if (!gw) throw new InfraError('external sources need the cluster nodes\' addresses, and no node has an InternalIP');
  const strip = ({ cp: _cp, ...n }: (typeof nodes)[number]): NodeModel => n;
  return { nodes: nodes.map(strip), gateway: strip(gw) };
}

/** Starts one container per suite external on the cluster's Docker network; returns them by name. */
export async function startExternals(cluster: Cluster, suite: Suite, opts: ExternalsOptions): Promise<Map<string, ExternalEndpoint>> {
  const out = new Map<string, ExternalEndpoint>();
  if (suite.externals.length === 0) return out;
  const network = opts.network ?? cluster.dockerNetwork;
  if (!network) {
    throw new UsageError(`externals need a Docker network the cluster's nodes are on; provider ${cluster.provider} has none`, {
      hint: 'run the suite on kind or k3s, or drop its externals for this cluster',
    });
  }
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const progress = opts.progress ?? silentProgress;
  const image = opts.agentImage ?? defaultAgentImage();
  const subnets = suite.externals.some((e) => e.ip !== undefined) ? await networkSubnets(runner, docker, network) : [];
  await withStep(progress, `starting ${suite.externals.length} external endpoint(s) on Docker network ${network}`, async () => {
    for (const ext of suite.externals) {
      // A fixed address inside the network's subnet is asked for, so policies can name it; others are offline stand-ins.
      const fixed = ext.ip !== undefined && subnets.some((r) => rangeContains(r, parseIp(ext.ip!)!)) ? ext.ip : undefined;
      const containerName = externalContainerName(cluster.name, ext.name);
      // A leftover from a killed run would hold the name.
      await runner.run(docker, ['rm', '--force', containerName]);
      opts.cleanup?.push(`external container ${containerName}`, () => removeContainer(runner, docker, containerName), {
        keptHint: `remove it with: ${docker} rm -f ${containerName}`,
      });
      await runChecked(runner, docker, externalRunArgs(ext, { containerName, network, image, runId: opts.runId, clusterName: cluster.name, ...(fixed ? { ip: fixed } : {}) }), `starting external ${ext.name}`, {
        hint: fixed ? `the image ${image} must be in the local Docker engine, and ${fixed} free on ${network}` : `the image ${image} must be in the local Docker engine`,
      });
      let last: InspectState | undefined;
      const ip = await pollUntil(
        async () => {
          last = await inspect(runner, docker, containerName);
          if (last?.State?.Status === 'exited' || last?.State?.Status === 'dead') return false;
          const addr = last?.NetworkSettings?.Networks?.[network]?.IPAddress;
          return last?.State?.Running && addr ? addr : undefined;
        },
        { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 250, ...(opts.clock ? { clock: opts.clock } : {}) },
      );
      if (!ip) {
        const logs = await runner.run(docker, ['logs', '--tail', '20', containerName]);
        const state = last?.State ? `${last.State.Status ?? '?'}${last.State.ExitCode ? ` (exit ${last.State.ExitCode})` : ''}${last.State.Error ? `: ${last.State.Error}` : ''}` : 'not found';
        throw new InfraError(`external ${ext.name} (container ${containerName}) is not running with an address on ${network}: ${state}${logs.exitCode === 0 && (logs.stdout || logs.stderr) ? `\n${tail(logs.stdout + logs.stderr)}` : ''}`);
      }
      out.set(ext.name, { name: ext.name, containerName, containerId: last?.Id ?? '', ip, network, ports: ext.ports, source: ext.source });
    }
  });
  return out;
}

async function removeContainer(runner: CommandRunner, docker: string, name: string): Promise<void> {
  const r = await runner.run(docker, ['rm', '--force', name]);
  if (r.exitCode !== 0 && !/No such container/i.test(r.stderr)) throw new InfraError(`removing container ${name} failed: ${tail(r.stderr)}`);
}

/** Removes the given externals now (they are also registered with the CleanupStack). */
export async function stopExternals(externals: Iterable<ExternalEndpoint>, opts: { docker?: string; runner?: CommandRunner } = {}): Promise<void> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  for (const e of externals) await removeContainer(runner, docker, e.containerName);
}

/** Removes external containers left by killed runs against this cluster (found by label). */
export async function removeLeftoverExternals(clusterName: string, opts: { docker?: string; runner?: CommandRunner } = {}): Promise<string[]> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const r = await runChecked(runner, docker, ['ps', '--all', '--quiet', '--filter', `label=${DOCKER_CLUSTER_KEY}=${clusterName}`, '--filter', `label=${DOCKER_EXTERNAL_KEY}`], 'listing leftover externals');
  const ids = r.stdout.split('\n').map((s) => s.trim()).filter(Boolean);
  for (const id of ids) await removeContainer(runner, docker, id);
  return ids;
}

/** An external container found on the engine, with the cluster its label names. */
export interface ExternalContainer {
  id: string;
  name: string;
  cluster: string;
}

/** Every harness external container on the engine, running or not, by label. */
export async function listExternals(opts: { docker?: string; runner?: CommandRunner } = {}): Promise<ExternalContainer[]> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const r = await runChecked(runner, docker, ['ps', '--all', '--filter', `label=${DOCKER_EXTERNAL_KEY}`, '--format', `{{.ID}}\t{{.Names}}\t{{.Label "${DOCKER_CLUSTER_KEY}"}}`], 'listing external containers');
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split('\t'))
    .filter((f) => f[0])
    .map(([id, name, cluster]) => ({ id: id!, name: name ?? '', cluster: cluster ?? '' }));
}

/**
 * Names of the clusters that still exist on the engine: kind clusters (their node containers carry
 * kind's label, stopped or not) and k3s clusters (a harness-labelled container that is not an external).
 */
export async function liveClusterNames(opts: { docker?: string; runner?: CommandRunner } = {}): Promise<Set<string>> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const kind = await runChecked(runner, docker, ['ps', '--all', '--filter', `label=${KIND_CLUSTER_LABEL}`, '--format', `{{.Label "${KIND_CLUSTER_LABEL}"}}`], 'listing kind node containers');
  const own = await runChecked(runner, docker, ['ps', '--all', '--filter', `label=${DOCKER_CLUSTER_KEY}`, '--format', `{{.Label "${DOCKER_CLUSTER_KEY}"}}\t{{.Label "${DOCKER_EXTERNAL_KEY}"}}`], 'listing harness containers');
  const names = new Set(kind.stdout.split('\n').map((l) => l.trim()).filter(Boolean));
  for (const line of own.stdout.split('\n')) {
    const [cluster, external] = line.trim().split('\t');
    if (cluster && !external) names.add(cluster);
  }
  return names;
}

/**
 * Removes external containers whose cluster no longer exists (e.g. a `--keep` run whose cluster was
 * then deleted with `kind delete cluster`). Containers of live clusters, and containers without a
 * cluster label (their owner cannot be told), are left alone. Returns the names removed.
 */
export async function removeOrphanedExternals(opts: { docker?: string; runner?: CommandRunner } = {}): Promise<string[]> {
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? dockerBinary({});
  const externals = await listExternals({ runner, docker });
  if (externals.length === 0) return [];
  const live = await liveClusterNames({ runner, docker });
  const orphans = externals.filter((e) => e.cluster !== '' && !live.has(e.cluster));
  for (const o of orphans) await removeContainer(runner, docker, o.id);
  return orphans.map((o) => o.name);
}
