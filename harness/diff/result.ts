// The result model: what a run produced for each step and cell. Produced by the probe engine and
// the simulator, consumed by the diff, the reports and the chai assertion. Serialised as the JSON artifact.
import type { Axes } from '../matrix/axes.js';
import type { Verdict } from '../matrix/matrix.js';

/** How a probe ended, from inside the source pod. */
export type ObservedClass = 'connected' | 'refused' | 'timeout' | 'dns-failure' | 'error' | 'unsupported';

/** connected/resolved => allow; refused/timeout/dns-failure => deny; error/unsupported => no verdict. */
export function verdictOf(c: ObservedClass): Verdict | undefined {
  if (c === 'connected') return 'allow';
  if (c === 'refused' || c === 'timeout' || c === 'dns-failure') return 'deny';
  return undefined;
}

export interface Explanation {
  /** One-line summary, e.g. "allowed by develop/allow-backend-ingress ingress[0] from[0]". */
  summary: string;
  /** Further lines: isolating policies, matching rule, closest misses. */
  details: string[];
}

export interface Observation {
  class: ObservedClass;
  verdict?: Verdict;
  /** Probe attempts made for this cell in this step (1 when it matched the first time). */
  attempts: number;
  latencyMs?: number;
  /** The agent's own words for errors ("no route to host", exec failure, ...). */
  detail?: string;
  /** A command that reproduces this probe by hand. */
  repro?: string;
  /**
   * The path the probe took: `service` (the Service's ClusterIP and port, kube-proxy's DNAT), `dns`
   * (the Service's DNS name, resolved in the source pod), `pod` (the pod IP), `external`; `note`
   * says why it is not the path asked for.
   */
  path?: { via: 'service' | 'dns' | 'pod' | 'external' | 'nodeport'; address: string; note?: string };
}

export interface CellResult {
  src: string;
  /** Column key: `<dst-id>:<port>/<protocol>` or `dns:<name>`. */
  col: string;
  expected: Verdict;
  /** `default`, `rules[i]` or `simulated`. */
  expectedOrigin?: string;
  simulated?: Verdict;
  /**
   * The engine cannot predict this cell under the CNI profile (`simulated` is then what the policies
   * say): SCTP on a plugin without SCTP policy, kube-router's order-dependent named ports. Never an
   * enforcement mismatch.
   */
  engineUnknown?: true;
  explanation?: Explanation;
  observed?: Observation;
  /** `false`: a `check` cell, judged on expected vs simulated without a probe (never set by a run). */
  probed?: false;
  /** ms from the start of probing until the cell first showed its expected verdict and kept it (runs with per-cell timing). */
  enforcedAtMs?: number;
}

/** Three kinds of mismatch, kept apart because they have different owners. */
export type MismatchKind =
  /** expected != simulated: the suite's hand-written expectation disagrees with the policies. */
  | 'authoring'
  /** simulated != observed: the CNI or environment does not do what the policies say. */
  | 'enforcement'
  /** expected != observed: the test fails. */
  | 'failure'
  /** the probe could not decide (exec error, unsupported protocol). */
  | 'error';

export interface StepResult {
  name: string;
  description?: string;
  startedAt?: string;
  durationMs?: number;
  /**
   * ms from the end of the step's changes until the whole matrix first matched; absent if it never did.
   * Time a cell spent distrusted by the guard (a fault, not the CNI) does not count
   * (`infrastructure.distrustedMs` holds it).
   */
  timeToEnforceMs?: number;
  /** ms from the end of the step's changes until its first probe round was sent (runs with per-cell timing). */
  firstProbeMs?: number;
  /** Total probe attempts in this step. */
  attempts?: number;
  /** Where the step's time went: its changes (apply), probing until the matrix matched, the confirmation round(s). */
  phases?: StepPhases;
  /**
   * Set when the step could not be tested on this cluster (it needs ClusterNetworkPolicy and the CNI
   * does not enforce it): the reason. Such a step has no cells and is neither passed nor failed.
   */
  notTestable?: string;
  cells: CellResult[];
  /** What the cluster did under the step: node and pod events, exec failures (docs/report-schema.md). */
  infrastructure?: StepInfrastructure;
}

export interface StepPhases {
  /** Applying the step's changes (policies, labels, dynamics) and re-learning replaced pods. */
  applyMs: number;
  /** Probe rounds until the whole matrix matched (or the settle deadline). */
  probeMs: number;
  /** The confirmation round(s) of the whole matrix. */
  confirmMs: number;
}

/** One provisioning or teardown phase of a run (`cluster`, `cni`, `settle`, `canary`, `deploy`, `in-place`, `cleanup`, ...). */
export interface RunPhase {
  name: string;
  /** ms from the run's startedAt until the phase started (phases overlap: settle runs beside the canary and deploy). */
  startMs: number;
  durationMs: number;
  /** One line about it (`waited 1.2 s` for settle: the part the first step waited for). */
  detail?: string;
}

/** One thing seen happening to the cluster during a step (a node NotReady, a pod restart, a failed exec). */
export interface InfraEvent {
  /** ISO 8601 time it was seen. */
  at: string;
  /** `node-not-ready`, `node-ready`, `pod-restart`, `pod-deleted`, `pod-evicted`, `exec-failure`, ... (readers accept others). */
  kind: string;
  /** What it happened to: a node name, `<ns>/<pod>`, the API server. */
  subject: string;
  detail?: string;
}

export interface StepInfrastructure {
  events: InfraEvent[];
  /** Events beyond the cap that were not kept. */
  eventsDropped?: number;
  /** Failed exec attempts by fault kind (timeout, pod-gone, node-unreachable, ...), retried or not. */
  execFailures: Record<string, number>;
  /** Execs tried again after a failure (back-off, or from a replacement pod). */
  execRetries: number;
  /** Probe results not taken as verdicts because a pod, node or DNS server they depend on was disturbed (reported as errors). */
  distrusted: number;
  /**
   * Wall time (ms) during which at least one cell waited on the guard (its results distrusted), before
   * it matched: infrastructure time, not the CNI's, and left out of timeToEnforceMs.
   */
  distrustedMs?: number;
  /** The step ended with cells that never matched: how many, their classes, a sample, and the faults seen. */
  unsettled?: { cells: number; byClass: Record<string, number>; sample: string[]; faults: string[] };
}

export interface RunResult {
  /** Artifact schema version; bump on incompatible change (docs/report-schema.md). */
  schemaVersion: 1;
  suite: string;
  startedAt: string;
  finishedAt?: string;
  /**
   * cni: the CNI installed (kind, k3s) or detected (existing; `unknown` when none is recognised);
   * cniVersion: its agent image's tag; cniEvidence: what the detection read; dataplane: the CNI's
   * dataplane (calico: iptables, nftables or bpf) as chosen by the harness or detected.
   */
  cluster?: { provider: string; name?: string; cni: string; cniVersion?: string; cniEvidence?: string; dataplane?: string; kubernetesVersion?: string; nodes?: number };
  /** Source ids, column keys and their labels, in display order. */
  axes: {
    sources: { id: string; kind: string }[];
    columns: { key: string; kind: 'conn' | 'dns'; dst?: string; port?: number; portName?: string; protocol?: string; name?: string }[];
  };
  steps: StepResult[];
  /** Provisioning and teardown phases in the order they started (runs only). */
  phases?: RunPhase[];
  /** `check`: a cluster-free result (nothing probed, no `observed`); absent: a run. */
  mode?: 'run' | 'check';
  /** The policy engine's CNI profile the simulation used. */
  profile?: string;
  /** Where a run's profile came from: `flag` (--cni), `suite` (cluster.profile), `cni` (installed or detected), `unknown` (no profile for this CNI: the default, with no claim about it). */
  profileSource?: 'flag' | 'suite' | 'cni' | 'unknown';
}

/** A matrix's axes as the result records them (ids, keys and labels only). */
export function resultAxes(axes: Axes): RunResult['axes'] {
  return {
    sources: axes.sources.map((s) => ({ id: s.id, kind: s.kind })),
    columns: axes.columns.map((c) =>
      c.kind === 'dns'
        ? { key: c.key, kind: 'dns' as const, name: c.name }
        : { key: c.key, kind: 'conn' as const, dst: c.dst, port: c.port, protocol: c.protocol, ...(c.portName ? { portName: c.portName } : {}) },
    ),
  };
}
