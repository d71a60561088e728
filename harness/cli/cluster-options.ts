// The cluster flags of every command that creates (or connects to) a cluster, defined once: `run`
// and `conformance` (battery and --random) accept the same names, choices and help, and turn them
// into the same session options, so a host without registry access can bring up Calico from local
// images with any of them.
import { InvalidArgumentError, Option, type Command } from 'commander';
import { CALICO_DATAPLANES, type CalicoDataplane } from '../cluster/cni/types.js';
import type { SessionOptions } from '../run/session.js';

export type CniFlag = 'calico' | 'kube-router' | 'none';

export interface ClusterFlags {
  provider?: string;
  cni?: CniFlag;
  clusterName?: string;
  workers?: number;
  keep?: boolean;
  reuse?: boolean;
  nodeImage?: string;
  kubeconfig?: string;
  context?: string;
  calicoManifest?: string;
  calicoDataplane?: CalicoDataplane;
  agentImage?: string;
}

export function intIn(name: string, min: number, max: number) {
  return (v: string): number => {
    if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`${name} must be a whole number (got "${v}")`);
    const n = Number(v);
    if (n < min || n > max) throw new InvalidArgumentError(`${name} must be between ${min} and ${max} (got ${n})`);
    return n;
  };
}

export interface ClusterOptionsSpec {
  /** The providers this command can use. */
  providers: readonly string[];
  /** Help for --provider's default (e.g. "the suite's"); a fixed default is given with `defaultProvider`. */
  providerDefault?: string;
  defaultProvider?: string;
}

/** Adds the shared cluster flags to a command. */
export function addClusterOptions(cmd: Command, spec: ClusterOptionsSpec): Command {
  const provider = new Option('--provider <name>', `cluster provider${spec.providerDefault ? ` (default: ${spec.providerDefault})` : ''}`).choices([...spec.providers]);
  if (spec.defaultProvider) provider.default(spec.defaultProvider);
  return cmd
    .addOption(
      new Option(
        '--cni <name>',
        "CNI to install on kind (default: the suite's, or NPH_CNI on air-gapped hosts); on --provider existing nothing is installed and this names the engine profile to judge with (default: the CNI detected on the cluster)",
      ).choices(['calico', 'kube-router', 'none']),
    )
    .addOption(provider)
    .option('--cluster-name <name>', 'kind cluster name, or the kube context for --provider existing')
    .option('--workers <n>', 'kind worker nodes', intIn('--workers', 0, 10))
    .option('--keep', 'leave the cluster, namespaces and policies in place afterwards')
    .option('--reuse', 'reuse a kind cluster of the same name if it exists')
    .option('--node-image <image>', 'kind node image (default: NPH_NODE_IMAGE or the locally built one)')
    .option('--kubeconfig <file>', 'kubeconfig for --provider existing (only read)')
    .option('--context <name>', 'kube context for --provider existing')
    .option('--calico-manifest <path-or-url>', 'Calico manifest (default: the pinned v3.32.1 VXLAN manifest); its images are preloaded from the local Docker engine when present')
    .addOption(new Option('--calico-dataplane <mode>', 'Calico dataplane to install (default: NPH_CALICO_DATAPLANE, then iptables)').choices([...CALICO_DATAPLANES]))
    .option('--agent-image <image>', 'probe/workload image (default: the locally built netpol-harness/agent)');
}

/** The session options the shared cluster flags stand for. */
export function clusterSessionOptions(f: ClusterFlags): SessionOptions {
  return {
    cluster: {
      ...(f.cni ? { cni: f.cni } : {}),
      ...(f.provider ? { provider: f.provider as NonNullable<NonNullable<SessionOptions['cluster']>['provider']> } : {}),
      ...(f.clusterName ? { name: f.clusterName } : {}),
      ...(f.workers !== undefined ? { workers: f.workers } : {}),
    },
    keep: f.keep ?? false,
    reuse: f.reuse ?? false,
    ...(f.nodeImage ? { nodeImage: f.nodeImage } : {}),
    ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
    ...(f.context ? { context: f.context } : {}),
    ...(f.calicoManifest ? { calicoManifest: f.calicoManifest } : {}),
    ...(f.calicoDataplane ? { calicoDataplane: f.calicoDataplane } : {}),
    ...(f.agentImage ? { agentImage: f.agentImage } : {}),
  };
}
