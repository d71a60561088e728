// `none`: a plain, policy-unaware CNI, the non-enforcing baseline ("does my CNI enforce?"). kind's
// own kindnet is no baseline: since kind v0.24 it enforces NetworkPolicy wherever the kernel has
// NFT_QUEUE. So the kind config disables it (kindConfig) and this installer writes a bridge +
// host-local conflist on each node's podCIDR, using the reference plugins in the node image's
// /opt/cni/bin, plus one route per other node's podCIDR via its InternalIP (kind nodes share one
// Docker network). Nothing here reads NetworkPolicies. Re-running rewrites the same file and routes.
import { InfraError } from '../../errors.js';
import { execaRunner, runChecked, type CommandRunner } from '../command.js';
import { KindCluster, dockerBinary } from '../providers/kind.js';
import { silentProgress, withStep } from '../progress.js';
import type { Cluster, NodeInfo } from '../provider.js';
import { pollUntil, waitForDeployment, waitForNodesReady } from '../wait.js';
import type { CniInstallOptions, CniInstaller } from './types.js';

export const NONE_CONFLIST_DIR = '/etc/cni/net.d';
export const NONE_CONFLIST_PATH = `${NONE_CONFLIST_DIR}/10-nph-bridge.conflist`;
export const NONE_BRIDGE = 'nph0';
const CNI_BIN = '/opt/cni/bin';
const REQUIRED_PLUGINS = ['bridge', 'host-local'] as const;
const OPTIONAL_PLUGINS = ['portmap', 'loopback'] as const;

/** The conflist for one node (pure): bridge nph0 with host-local IPAM on its podCIDR. */
export function noneConflist(podCIDR: string, plugins: { portmap?: boolean; loopback?: boolean } = { portmap: true, loopback: true }): string {
  const chain: Record<string, unknown>[] = [
    {
      type: 'bridge',
      bridge: NONE_BRIDGE,
      isGateway: true,
      ipMasq: true,
      hairpinMode: true,
      ipam: { type: 'host-local', ranges: [[{ subnet: podCIDR }]], routes: [{ dst: '0.0.0.0/0' }] },
    },
  ];
  if (plugins.portmap) chain.push({ type: 'portmap', capabilities: { portMappings: true } });
  // Chained loopback passes the bridge's result through; it only makes sure `lo` is up.
  if (plugins.loopback) chain.push({ type: 'loopback' });
  return `${JSON.stringify({ cniVersion: '0.4.0', name: 'nph-bridge', plugins: chain }, null, 2)}\n`;
}

/** `ip route replace` argv for every other node's podCIDR via that node's InternalIP (pure). */
export function noneRoutes(nodes: NodeInfo[], self: string): string[][] {
  return nodes.filter((n) => n.name !== self && n.podCIDR).map((n) => ['ip', 'route', 'replace', n.podCIDR!, 'via', n.internalIP]);
}

export interface NoneDeps {
  /** Runs docker (default: the kind cluster's own runner, else execa). */
  runner?: CommandRunner;
  /** docker binary (default: the kind cluster's, else $NPH_DOCKER, then `docker`). */
  docker?: string;
}

/** The kind cluster's runner and docker binary, so tests and callers that injected them are honoured. */
function kindTools(cluster: Cluster): { runner: CommandRunner; docker: string } | undefined {
  if (!(cluster instanceof KindCluster)) return undefined;
  // KindCluster keeps them private; bracket access is TypeScript's sanctioned escape hatch.
  const o = cluster['opts'];
  return { runner: o.runner, docker: o.docker };
}

const HINT_CIDR = 'kube-controller-manager allocates node podCIDRs because the kind config sets podSubnet: check `kubectl -n kube-system logs -l component=kube-controller-manager`';
const HINT_READY = 'check `docker exec <node> cat ' + NONE_CONFLIST_PATH + '` and `docker exec <node> journalctl -u containerd -u kubelet --no-pager | tail`';

/** Waits until every node has a podCIDR and an InternalIP. */
async function nodesWithCidrs(cluster: Cluster, opts: CniInstallOptions, timeoutMs: number): Promise<NodeInfo[]> {
  let last: NodeInfo[] = [];
  const ok = await pollUntil(
    async () => {
      last = await cluster.nodes();
      return last.length > 0 && last.every((n) => n.podCIDR && n.internalIP) ? last : undefined;
    },
    { timeoutMs, ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  if (ok) return ok;
  const stuck = last.filter((n) => !n.podCIDR || !n.internalIP).map((n) => `${n.name}: ${!n.podCIDR ? 'no podCIDR' : 'no InternalIP'}`);
  throw new InfraError(`cni none: nodes without a podCIDR after ${Math.round(timeoutMs / 1000)}s${stuck.length ? `:\n  ${stuck.join('\n  ')}` : ' (no nodes registered)'}`, { hint: HINT_CIDR });
}

async function configureNode(node: NodeInfo, all: NodeInfo[], runner: CommandRunner, docker: string, warn: (m: string) => void): Promise<void> {
  const probe = await runChecked(
    runner,
    docker,
    [
      'exec',
      node.name,
      'sh',
      '-c',
      `for p in ${[...REQUIRED_PLUGINS, ...OPTIONAL_PLUGINS].join(' ')}; do [ -x ${CNI_BIN}/$p ] && echo "plugin $p"; done; ls -1 ${NONE_CONFLIST_DIR} 2>/dev/null | sed 's/^/conf /'; true`,
    ],
    `cni none: inspecting node ${node.name}`,
  );
  const lines = probe.stdout.split('\n').map((l) => l.trim());
  const present = new Set(lines.filter((l) => l.startsWith('plugin ')).map((l) => l.slice(7)));
  const missing = REQUIRED_PLUGINS.filter((p) => !present.has(p));
  if (missing.length) {
    throw new InfraError(`cni none: node ${node.name} has no ${missing.join(', ')} plugin in ${CNI_BIN}`, {
      hint: 'use a kindest/node image (it ships the CNI reference plugins), or pass --node-image',
    });
  }
  // containerd takes the first config by name: another CNI's config (a reused cluster) would win.
  const others = lines.filter((l) => l.startsWith('conf ')).map((l) => l.slice(5)).filter((f) => f && f !== NONE_CONFLIST_PATH.split('/').pop() && /\.(conflist|conf|json)$/.test(f));
  if (others.length) warn(`node ${node.name} has other CNI configs in ${NONE_CONFLIST_DIR} (${others.join(', ')}); the first by name is used`);

  const conflist = noneConflist(node.podCIDR!, { portmap: present.has('portmap'), loopback: present.has('loopback') });
  // Written next to the target and renamed, so containerd never loads a half-written file.
  await runChecked(runner, docker, ['exec', '-i', node.name, 'sh', '-c', `cat > ${NONE_CONFLIST_PATH}.tmp && mv ${NONE_CONFLIST_PATH}.tmp ${NONE_CONFLIST_PATH}`], `cni none: writing ${NONE_CONFLIST_PATH} on node ${node.name}`, {
    input: conflist,
  });
  for (const route of noneRoutes(all, node.name)) {
    await runChecked(runner, docker, ['exec', node.name, ...route], `cni none: adding route ${route[3]} via ${route[5]} on node ${node.name}`);
  }
}

/** The `none` installer with injectable tools (tests pass a FakeRunner). */
export function makeNoneInstaller(deps: NoneDeps = {}): CniInstaller {
  return {
    name: 'none',
    images() {
      return Promise.resolve([]);
    },
    async install(cluster: Cluster, opts: CniInstallOptions = {}) {
      const progress = opts.progress ?? silentProgress;
      if (cluster.provider !== 'kind') {
        // existing: never touched; k3s: flannel is built in. installCni does not even get here.
        progress.info(`cni none: nothing to install on a ${cluster.provider} cluster`);
        return;
      }
      const timeoutMs = opts.timeoutMs ?? 300_000;
      const clock = opts.clock ? { clock: opts.clock } : {};
      const tools = kindTools(cluster);
      const runner = deps.runner ?? tools?.runner ?? execaRunner;
      const docker = deps.docker ?? tools?.docker ?? dockerBinary({});

      const nodes = await withStep(progress, 'waiting for node podCIDRs', () => nodesWithCidrs(cluster, opts, timeoutMs));
      await withStep(progress, `writing a bridge CNI config (no NetworkPolicy) and routes on ${nodes.length} node${nodes.length === 1 ? '' : 's'}`, async () => {
        for (const node of nodes) await configureNode(node, nodes, runner, docker, (m) => progress.warn(m));
      });
      await withStep(progress, 'waiting for nodes to be Ready', () => waitForNodesReady(cluster.client, { timeoutMs, hint: HINT_READY, minNodes: nodes.length, ...clock }));
      await withStep(progress, 'waiting for CoreDNS', () =>
        waitForDeployment(cluster.client, 'kube-system', 'coredns', { timeoutMs, hint: `${HINT_READY}; \`kubectl -n kube-system describe pods -l k8s-app=kube-dns\``, ...clock }),
      );
    },
  };
}

export const noneInstaller: CniInstaller = makeNoneInstaller();
