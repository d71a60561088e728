// The suite file format (YAML), as a zod schema. The JSON Schema exported for editors
// is generated from this (scripts/write-schema.mjs), so this file is the single source of truth.
import { z } from 'zod';
import { RULE_REFS } from '../policy/lint/rules.js';

const dnsLabel = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const NAME_RE = dnsLabel;

const k8sName = z
  .string()
  .min(1)
  .max(63)
  .regex(dnsLabel, 'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit');

/** Label keys follow Kubernetes' qualified-name rule (optional DNS-subdomain prefix, then a name). */
const labelKey = z
  .string()
  .regex(
    /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/,
    'is not a valid label key',
  );
const labelValue = z
  .string()
  .regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/, 'is not a valid label value (63 characters at most)');
export const Labels = z.record(labelKey, labelValue);

export const Protocol = z.enum(['TCP', 'UDP', 'SCTP']);
export type Protocol = z.infer<typeof Protocol>;

export const PortSpec = z.strictObject({
  /** Named ports are what NetworkPolicies may refer to (resolved on the destination pod). */
  name: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be an IANA_SVC_NAME (lower-case letters, digits, "-")')
    .max(15)
    .optional(),
  port: z.number().int().min(1).max(65535),
  protocol: Protocol.default('TCP'),
  /** Deployed workloads: the Service's port for this container port (default the same); probes through the Service use it. */
  servicePort: z.number().int().min(1).max(65535).optional(),
});
export type PortSpec = z.infer<typeof PortSpec>;

export const ClusterSpec = z.strictObject({
  provider: z.enum(['kind', 'existing', 'k3s']).default('kind'),
  /** kind cluster name, or the kube context for `existing`. */
  name: k8sName.optional(),
  nodes: z
    .strictObject({
      controlPlanes: z.number().int().min(1).max(1).default(1),
      workers: z.number().int().min(0).max(10).default(2),
    })
    .default({ controlPlanes: 1, workers: 2 }),
  cni: z.enum(['calico', 'kube-router', 'none']).default('calico'),
  podSubnet: z.string().default('192.168.0.0/16'),
  serviceSubnet: z.string().default('10.96.0.0/12'),
  /**
   * The policy engine's CNI profile for simulate, explain, lint, check and run (default: the one
   * named by `cni`). `upstream` suits suites ported from upstream's e2e tests. A `--cni` flag overrides it.
   */
  profile: z.enum(['calico', 'kube-router', 'upstream', 'none']).optional(),
});
export type ClusterSpec = z.infer<typeof ClusterSpec>;

/**
 * `absent`: declared but not there when the run starts; a step's `create` brings it in
 * (docs: "Workloads and namespaces joining and leaving").
 */
export const Initially = z.enum(['present', 'absent']);
export type Initially = z.infer<typeof Initially>;

export const NamespaceSpec = z.strictObject({
  name: k8sName,
  labels: Labels.default({}),
  initially: Initially.optional(),
  /**
   * A namespace that already exists (`default`, or the user's own): the harness never creates or
   * deletes it, reads its labels at run time, and puts back exactly what the run changed in it
   * (policies, declared labels, label steps). It holds policies and existing workloads; harness
   * workloads and probes go into namespaces the harness creates.
   */
  existing: z.boolean().default(false),
});
export type NamespaceSpec = z.infer<typeof NamespaceSpec>;

export const WorkloadSpec = z.strictObject({
  name: k8sName,
  namespace: k8sName,
  /** Pod labels; policies select on these. `app: <name>` is not added implicitly. */
  labels: Labels.default({}),
  ports: z.array(PortSpec).default([]),
  replicas: z.number().int().min(1).max(20).default(1),
  /** Override the serving image (it must speak the agent's serve protocol, see docs/). */
  image: z.string().optional(),
  /**
   * `existing: true` marks a workload the harness does not deploy but finds by its labels (or
   * `ref`), e.g. CoreDNS in kube-system. It is a destination (a source too with `source: true`),
   * never mutated apart from the ephemeral containers probing in place adds. Empty `ports`: the
   * ports are discovered at run time from its pods and the Services selecting them.
   */
  existing: z.boolean().default(false),
  /** Pin to the Nth worker (0-based); by default workloads are spread round-robin. */
  node: z.number().int().min(0).optional(),
  /**
   * Pin its Service's ClusterIP (spec.clusterIP), so a policy can name it in an ipBlock; it must
   * lie in cluster.serviceSubnet (docs/conformance.md "ipBlock against Service IPs").
   */
  clusterIP: z.union([z.ipv4(), z.ipv6()]).optional(),
  /** How probes address this workload, overriding probe.via (e.g. `service` in a suite probing pod IPs). */
  via: z.enum(['service', 'pod', 'dns']).optional(),
  initially: Initially.optional(),
  /**
   * An existing workload found by reference instead of labels: `deployment/<name>`,
   * `statefulset/<name>`, `daemonset/<name>` or `pod/<name>` in `namespace`. Needs `existing: true`.
   * Its pods' labels come from the cluster at run time when `labels` is empty.
   */
  ref: z
    .string()
    .regex(/^(deployment|statefulset|daemonset|pod)\/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be deployment/<name>, statefulset/<name>, daemonset/<name> or pod/<name>')
    .optional(),
  /**
   * Existing workloads only: probe from it too. The harness adds one ephemeral container with the
   * agent image to a Ready pod (`sourcePods: all`: to every pod) and runs the probes there.
   */
  source: z.boolean().default(false),
  sourcePods: z.enum(['one', 'all']).default('one'),
  /**
   * Existing workloads only: judge its ports by arrival, not by the application's answer. An
   * ephemeral container with CAP_NET_RAW in one pod records the probes that reach it (UDP, and
   * TCP ports where nothing listens); the probes then address that pod directly.
   */
  witness: z.boolean().default(false),
});
export type WorkloadSpec = z.infer<typeof WorkloadSpec>;

export const ProbeSpec = z.strictObject({
  name: k8sName,
  namespace: k8sName,
  labels: Labels.default({}),
  node: z.number().int().min(0).optional(),
  initially: Initially.optional(),
});
export type ProbeSpec = z.infer<typeof ProbeSpec>;

/** How an external source reaches in-cluster workloads (docs/externals.md): only `pod` keeps its own address. */
export const ExternalVia = z.enum(['pod', 'service', 'nodeport']);
export type ExternalVia = z.infer<typeof ExternalVia>;

export const ExternalSpec = z.strictObject({
  name: k8sName,
  /** Ports it serves as a destination; none for a pure source (`source: true`). */
  ports: z.array(PortSpec).default([]),
  /**
   * Fixed address for offline simulation. At run time the container's real address is used, and the
   * harness asks Docker for this one when it lies in the Docker network's subnet (so policies can name it).
   */
  ip: z.ipv4().optional(),
  /** Probe from it too: a client outside the cluster (`external:<name> -> <ns>/<workload>` in rules). */
  source: z.boolean().default(false),
  /**
   * Source only: how its probes address workloads: `pod` (default) the pod IP, routed through the
   * pod's node (no NAT); `service` the Service's ClusterIP through one node; `nodeport` a node's
   * address and the Service's NodePort. The last two are source-NATed by kube-proxy.
   */
  via: ExternalVia.optional(),
});
export type ExternalSpec = z.infer<typeof ExternalSpec>;

/** A lint rule by id (`NPH001`) or name (`dns-going-dark`), as `netpol-harness lint` prints them. */
export const LintRuleRef = z.enum(RULE_REFS);

/** Lint findings to silence where they are intended (docs/engine.md "Silencing findings"). */
export const LintOptions = z.strictObject({
  disable: z.array(LintRuleRef).default([]),
});
export type LintOptions = z.infer<typeof LintOptions>;

export const PolicyRef = z.strictObject({
  /** How steps refer to this policy set. */
  id: k8sName,
  /** YAML file (one or more NetworkPolicy documents), relative to the suite file. */
  file: z.string().min(1),
  /** Namespace for documents that do not set metadata.namespace. */
  namespace: k8sName.optional(),
  /** Lint rules silenced for the policies of this file. */
  lint: LintOptions.optional(),
});
export type PolicyRef = z.infer<typeof PolicyRef>;

export const LabelChange = z.strictObject({
  /** `namespace/<ns>` or `<ns>/<workload-or-probe>` */
  target: z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'must be "namespace/<name>" or "<namespace>/<workload>"'),
  set: Labels.default({}),
  remove: z.array(labelKey).default([]),
});
export type LabelChange = z.infer<typeof LabelChange>;

/** `namespace/<ns>` or `<ns>/<workload-or-probe>`, as label-change targets. */
export const EndpointTarget = z.string().regex(/^[a-z0-9-]+\/[a-z0-9-]+$/, 'must be "namespace/<name>" or "<namespace>/<workload>"');

/**
 * One expectation rule. `allow`/`deny` hold a traffic pattern:
 *   <source> -> <destination>[:<ports>[/<protocols>]]
 * source:      `*`, `<ns>/*`, `<ns>/<name>`, a unique `<name>`, or `external:<name>` (an external with source: true)
 * destination: the same, `external:<name>`, or `dns` / `dns:<name>` for DNS resolution checks
 * ports:       `*`, a number, a port name, or a comma list; protocols: `TCP`, `UDP`, `SCTP`, comma list or `*`
 * Rules apply in order; a later rule overrides an earlier one for the cells it matches.
 */
export const ExpectRule = z.union([
  z.strictObject({ allow: z.string().min(1), reason: z.string().optional() }),
  z.strictObject({ deny: z.string().min(1), reason: z.string().optional() }),
]);
export type ExpectRule = z.infer<typeof ExpectRule>;

export const Expectation = z.union([
  z.literal('simulated'),
  z.strictObject({
    /**
     * The verdict of every cell no rule names. `simulated` takes each cell from the policy
     * engine, so `rules` become explicit overrides of what the policies imply.
     */
    default: z.enum(['allow', 'deny', 'simulated']),
    rules: z.array(ExpectRule).default([]),
  }),
]);
export type Expectation = z.infer<typeof Expectation>;

export const StepSpec = z.strictObject({
  name: k8sName,
  description: z.string().optional(),
  apply: z.array(k8sName).default([]),
  remove: z.array(k8sName).default([]),
  labels: z.array(LabelChange).default([]),
  /** Bring in workloads, probes (`<ns>/<name>`) or namespaces (`namespace/<name>`) declared `initially: absent` or deleted earlier. */
  create: z.array(EndpointTarget).optional(),
  /** Delete workloads, probes or namespaces (a namespace takes its workloads and probes with it). */
  delete: z.array(EndpointTarget).optional(),
  /** Delete the pods of a workload or probe and wait for new ones (new names, new IPs, declared labels). */
  recreate: z.array(EndpointTarget).optional(),
  expect: Expectation,
});
export type StepSpec = z.infer<typeof StepSpec>;

export const ProbeOptions = z
  .strictObject({
    /**
     * How connection probes address a workload: its Service ClusterIP (default), a pod IP, or the
     * Service's DNS name (resolved in the source pod first; a blocked lookup shows as dns-failure).
     */
    via: z.enum(['service', 'pod', 'dns']).default('service'),
    /** Per-probe timeout inside the pod. */
    timeoutMs: z.number().int().min(100).max(60_000).default(2000),
    /** How long to re-probe mismatching cells after a step before calling them wrong. */
    settleMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Names every source resolves for the DNS column (default: the first workload's Service name). */
    dnsNames: z.array(z.string().min(1)).optional(),
  })
  .default({ via: 'service', timeoutMs: 2000, settleMs: 30_000 });
export type ProbeOptions = z.infer<typeof ProbeOptions>;

export const ManifestRef = z.strictObject({
  /**
   * The user's own manifests (plain YAML, or what `helm template` / `kustomize build` printed),
   * relative to the suite file. `run` applies them on kind/k3s after the cluster is up and before
   * the first step, and waits for their rollouts; their workloads are then probed in place.
   */
  file: z.string().min(1),
  /** Namespace for namespaced documents that do not set metadata.namespace (default: `default`). */
  namespace: k8sName.optional(),
});
export type ManifestRef = z.infer<typeof ManifestRef>;

export const Suite = z.strictObject({
  apiVersion: z.literal('netpol-harness/v1'),
  kind: z.literal('Suite'),
  metadata: z.strictObject({
    name: k8sName,
    description: z.string().optional(),
  }),
  cluster: ClusterSpec.default({
    provider: 'kind',
    nodes: { controlPlanes: 1, workers: 2 },
    cni: 'calico',
    podSubnet: '192.168.0.0/16',
    serviceSubnet: '10.96.0.0/12',
  }),
  namespaces: z.array(NamespaceSpec).min(1),
  workloads: z.array(WorkloadSpec).default([]),
  probes: z.array(ProbeSpec).default([]),
  externals: z.array(ExternalSpec).default([]),
  policies: z.array(PolicyRef).default([]),
  probe: ProbeOptions,
  steps: z.array(StepSpec).min(1),
  /** Lint rules silenced for the whole suite. */
  lint: LintOptions.optional(),
  manifests: z.array(ManifestRef).default([]),
});
export type Suite = z.infer<typeof Suite>;
export type SuiteInput = z.input<typeof Suite>;
