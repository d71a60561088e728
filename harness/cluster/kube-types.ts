// Minimal shapes of the Kubernetes objects the cluster layer reads, as raw JSON from the API.
// Own types instead of client-node's models: its models rename fields (`_default`, `_enum`) and
// turn timestamps into Dates, which is wrong for objects we read, store and apply back.
import type { KubernetesObject } from '@kubernetes/client-node';

export type { KubernetesObject };

export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  /** Bumped by the apiserver on every spec change; controllers echo it as status.observedGeneration. */
  generation?: number;
  ownerReferences?: { kind: string; name: string; controller?: boolean }[];
  /** Who owns which fields (server-side apply); restored as found after a rehearsal (field-owners.ts). */
  managedFields?: ManagedFieldsEntry[];
  [k: string]: unknown;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  apiVersion?: string;
  time?: string;
  fieldsType?: string;
  fieldsV1?: unknown;
  subresource?: string;
}

export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

export interface ContainerStateLike {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; message?: string; exitCode?: number };
}

export interface ContainerStatusLike {
  name: string;
  ready: boolean;
  restartCount?: number;
  state?: ContainerStateLike;
  lastState?: ContainerStateLike;
}

export interface PodLike extends KObject {
  spec?: { nodeName?: string; containers?: { name: string }[] };
  status?: {
    phase?: string;
    podIP?: string;
    reason?: string;
    message?: string;
    conditions?: { type: string; status: string; reason?: string; message?: string; lastTransitionTime?: string | null }[];
    containerStatuses?: ContainerStatusLike[];
    initContainerStatuses?: ContainerStatusLike[];
  };
}

export interface EventLike extends KObject {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string | null;
  eventTime?: string | null;
  firstTimestamp?: string | null;
  involvedObject?: { kind?: string; name?: string; namespace?: string };
}

export interface NodeLike extends KObject {
  spec?: { podCIDR?: string; taints?: { key: string; effect: string; value?: string }[]; unschedulable?: boolean };
  status?: {
    addresses?: { type: string; address: string }[];
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface DaemonSetLike extends KObject {
  status?: {
    observedGeneration?: number;
    desiredNumberScheduled?: number;
    numberReady?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
  };
}

export interface DeploymentLike extends KObject {
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    updatedReplicas?: number;
    conditions?: { type: string; status: string; reason?: string; message?: string }[];
  };
}

export interface ServiceLike extends KObject {
  spec?: { type?: string; clusterIP?: string; selector?: Record<string, string>; ports?: { name?: string; port: number; protocol?: string; targetPort?: number | string; nodePort?: number }[] };
}

export function isPodReady(p: PodLike): boolean {
  return (
    p.metadata.deletionTimestamp === undefined &&
    p.status?.phase === 'Running' &&
    !!p.status.podIP &&
    (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

export function isNodeReady(n: NodeLike): boolean {
  return (n.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}
