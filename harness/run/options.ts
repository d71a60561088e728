// What a run is told: the options every phase of a session reads (run/provision, deploy, step,
// teardown), and how the CNI is resolved from flag, host and suite.
import type { Progress } from '../cluster/index.js';
import type { AccessReviewer } from '../cluster/checks/access.js';
import type { CalicoDataplane } from '../cluster/cni/types.js';
import { readImagesEnv } from '../cluster/paths.js';
import type { Via } from '../probe/targets.js';
import type { ClusterSpec } from '../suite/schema.js';

export interface SessionOptions {
  /** Override the suite's cluster settings (e.g. `--cni kube-router` on air-gapped hosts). */
  cluster?: Partial<Pick<ClusterSpec, 'provider' | 'cni' | 'name'>> & { workers?: number };
  keep?: boolean;
  reuse?: boolean;
  nodeImage?: string;
  kindBinary?: string;
  kubeconfig?: string;
  context?: string;
  allowForeignNamespaces?: boolean;
  calicoManifest?: string;
  /** Calico's dataplane (`--calico-dataplane`; default NPH_CALICO_DATAPLANE, then iptables). */
  calicoDataplane?: CalicoDataplane;
  agentImage?: string;
  via?: Via;
  timeoutMs?: number;
  settleMs?: number;
  /** Pause between re-probes of mismatching cells while a step settles (default 250 ms). */
  settleIntervalMs?: number;
  /** Probe and report only the cells this keeps (conformance lanes: cells across lanes are not judged). */
  cellFilter?: (stepIndex: number, src: string, col: string) => boolean;
  /** Record per cell when it first showed its expected verdict and kept it (`enforcedAtMs`). */
  cellTimes?: boolean;
  /** How long the settle phase waits for CoreDNS, the CNI agents and kube-proxy to be stable (default 120 s; 0: read once). */
  settleClusterMs?: number;
  /** Skip the enforcement canary (not recommended; `--cni none` skips it by design). */
  skipCanary?: boolean;
  /** Concurrent execs against the API server. */
  execConcurrency?: number;
  progress?: Progress;
  /** Install SIGINT/SIGTERM handlers that clean up (the CLI does; mocha suites need not). */
  handleSignals?: boolean;
  /** existing clusters: where rollback.yaml goes before the first change (default: cwd). */
  rollbackDir?: string;
  /** Tests: answer permission checks without an API server (default: SelfSubjectAccessReview). */
  accessReviewer?: AccessReviewer;
  /**
   * Called before step `index` applies its changes, with the endpoints' current addresses: a caller
   * may rewrite the policy sets it applies (conformance: ipBlocks from the observed pod IPs).
   */
  beforeApply?: (index: number, addresses: ReadonlyMap<string, string>) => void;
  /** Called once a step's changes are applied and its watcher runs, right before probing (fault-injection tests). */
  onProbing?: (step: string) => Promise<void> | void;
}

/**
 * Resolves the CNI the harness installs: flag, then NPH_CNI / images.env (air-gapped hosts build
 * kube-router), then the suite. On an existing cluster nothing is installed and the host's install
 * default says nothing about it: only the flag counts (its CNI is detected, provision.ts).
 */
export function effectiveCni(suiteCni: ClusterSpec['cni'], override?: ClusterSpec['cni'], provider?: ClusterSpec['provider']): ClusterSpec['cni'] {
  if (override) return override;
  if (provider === 'existing') return suiteCni;
  const env = process.env.NPH_CNI ?? readImagesEnv()?.NPH_CNI;
  if (env === 'calico' || env === 'kube-router' || env === 'none') return env;
  return suiteCni;
}
