// Probing in place: one named ephemeral container with the agent image in a pod the harness did
// not deploy. Ephemeral containers cannot be removed or changed once added, so the container is
// reused across runs: found by name prefix and image, and added (under the next free name) only
// when none is usable. The probe container runs as nobody with a read-only root filesystem and
// no capabilities; the witness container is root with CAP_NET_RAW only (to sniff its own probes).
// Ephemeral containers get no service-account token: the ServiceAccount admission plugin mounts
// the token into containers and init containers only, and the harness adds no volume mounts.
import { CoreV1Api, type KubeConfig, type V1EphemeralContainer, type V1Pod } from '@kubernetes/client-node';
import { InfraError, UsageError } from '../errors.js';
import { apiErrorMessage, httpStatusOf } from '../cluster/kube-client.js';
import { pollUntil, type Clock } from '../cluster/wait.js';

export const PROBE_CONTAINER = 'nph-probe';
export const WITNESS_CONTAINER = 'nph-witness';
export type InPlaceRole = 'probe' | 'witness';

export const AGENT_BINARY = '/bin/nph-agent';

/** The container spec for a role. `serve` without ports idles, so execs have a running container. */
export function ephemeralSpec(role: InPlaceRole, name: string, image: string): V1EphemeralContainer {
  const common = {
    name,
    image,
    imagePullPolicy: 'IfNotPresent',
    command: [AGENT_BINARY],
    args: ['serve'],
    terminationMessagePolicy: 'FallbackToLogsOnError',
  };
  if (role === 'probe') {
    return {
      ...common,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      },
    };
  }
  // Kubernetes gives a non-root process no effective capabilities (no ambient set), so the
  // sniffer runs as UID 0, but with every capability dropped except NET_RAW.
  return {
    ...common,
    securityContext: {
      runAsUser: 0,
      runAsNonRoot: false,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'], add: ['NET_RAW'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
  };
}

const baseName = (role: InPlaceRole): string => (role === 'probe' ? PROBE_CONTAINER : WITNESS_CONTAINER);

/** Containers of this role: `nph-probe`, `nph-probe-2`, ... */
function ofRole(role: InPlaceRole, name: string): boolean {
  const b = baseName(role);
  return name === b || new RegExp(`^${b}-\\d+$`).test(name);
}

export type Choice = { action: 'reuse'; name: string } | { action: 'add'; name: string; why: string };

/**
 * Which container to use in this pod: an earlier one of the same role and image that is not
 * terminated (reuse), else a new one under the first free name. Pure.
 */
export function chooseContainer(pod: V1Pod, role: InPlaceRole, image: string): Choice {
  const specs = (pod.spec?.ephemeralContainers ?? []).filter((c) => ofRole(role, c.name));
  const statuses = new Map((pod.status?.ephemeralContainerStatuses ?? []).map((s) => [s.name, s]));
  for (const c of specs) {
    if (c.image !== image) continue;
    if (statuses.get(c.name)?.state?.terminated) continue;
    return { action: 'reuse', name: c.name };
  }
  const taken = new Set((pod.spec?.ephemeralContainers ?? []).map((c) => c.name));
  let name = baseName(role);
  for (let i = 2; taken.has(name); i++) name = `${baseName(role)}-${i}`;
  const why =
    specs.length === 0
      ? 'first use in this pod'
      : `the earlier ${specs.map((c) => `${c.name} (${c.image}${statuses.get(c.name)?.state?.terminated ? ', terminated' : ''})`).join(', ')} cannot be reused`;
  return { action: 'add', name, why };
}

/** The two calls injection needs; the real one talks to the API server, tests use a fake. */
export interface EphemeralApi {
  readPod(namespace: string, name: string): Promise<V1Pod>;
  /** PUT pods/<name>/ephemeralcontainers with the pod as read plus the new container. */
  replaceEphemeral(namespace: string, name: string, pod: V1Pod): Promise<V1Pod>;
}

export class ApiServerEphemeralApi implements EphemeralApi {
  private readonly core: CoreV1Api;
  constructor(kc: KubeConfig) {
    this.core = kc.makeApiClient(CoreV1Api);
  }
  readPod(namespace: string, name: string): Promise<V1Pod> {
    return this.core.readNamespacedPod({ namespace, name });
  }
  replaceEphemeral(namespace: string, name: string, pod: V1Pod): Promise<V1Pod> {
    return this.core.replaceNamespacedPodEphemeralcontainers({ namespace, name, body: pod });
  }
}

export interface EnsureOptions {
  /** How long the container may take to start (image present on the node: seconds). */
  timeoutMs?: number;
  clock?: Clock;
}

export interface Injected {
  namespace: string;
  pod: string;
  container: string;
  reused: boolean;
  /** Time from the request to a running container (for a reused one: until it is seen running). */
  ms: number;
}

function stateOf(pod: V1Pod, name: string): 'running' | 'waiting' | 'terminated' | 'none' {
  const s = pod.status?.ephemeralContainerStatuses?.find((x) => x.name === name)?.state;
  if (s?.running) return 'running';
  if (s?.terminated) return 'terminated';
  if (s?.waiting) return 'waiting';
  return 'none';
}

function describeState(pod: V1Pod, name: string): string {
  const s = pod.status?.ephemeralContainerStatuses?.find((x) => x.name === name)?.state;
  if (s?.waiting) return `waiting: ${s.waiting.reason ?? '?'}${s.waiting.message ? ` (${s.waiting.message})` : ''}`;
  if (s?.terminated) return `terminated: ${s.terminated.reason ?? '?'}, exit code ${s.terminated.exitCode}${s.terminated.message ? ` (${s.terminated.message.trim().slice(0, 200)})` : ''}`;
  return 'not started (no status yet)';
}

/** Image errors will not fix themselves: fail at once instead of waiting out the deadline. */
const HOPELESS = /ErrImagePull|ImagePullBackOff|InvalidImageName|CreateContainerConfigError|CreateContainerError|RunContainerError/;

/** Adds (or reuses) the role's container in one pod and waits until it runs. */
export async function ensureEphemeral(api: EphemeralApi, namespace: string, podName: string, role: InPlaceRole, image: string, opts: EnsureOptions = {}): Promise<Injected> {
  const t0 = (opts.clock ?? { now: () => Date.now() }).now();
  const where = `pod ${namespace}/${podName}`;
  let name = '';
  let reused = false;
  for (let attempt = 0; ; attempt++) {
    const pod = await api.readPod(namespace, podName).catch((e: unknown) => {
      throw new InfraError(`reading ${where} failed: ${apiErrorMessage(e)}`, { cause: e });
    });
    const choice = chooseContainer(pod, role, image);
    name = choice.name;
    if (choice.action === 'reuse') {
      reused = true;
      break;
    }
    const body: V1Pod = { ...pod, spec: { ...pod.spec!, ephemeralContainers: [...(pod.spec?.ephemeralContainers ?? []), ephemeralSpec(role, name, image)] } };
    try {
      await api.replaceEphemeral(namespace, podName, body);
      break;
    } catch (e) {
      const code = httpStatusOf(e);
      // Someone else changed the pod in between (resourceVersion): read it again.
      if (code === 409 && attempt < 3) continue;
      if (code === 404) {
        throw new UsageError(`${where}: the API server has no pods/ephemeralcontainers (${apiErrorMessage(e)})`, {
          hint: 'ephemeral containers need Kubernetes 1.25 or later; without them existing workloads can be destinations only (remove source/witness)',
        });
      }
      if (code === 403) throw new UsageError(`${where}: adding an ephemeral container was forbidden: ${apiErrorMessage(e)}`, { hint: 'grant patch on pods/ephemeralcontainers in this namespace' });
      if (code === 422) throw new UsageError(`${where}: the API server rejected the ${role} ephemeral container: ${apiErrorMessage(e)}`, { hint: role === 'witness' ? 'the witness needs CAP_NET_RAW: a namespace enforcing the baseline or restricted Pod Security Standard rejects it' : 'a Pod Security admission or policy engine may reject it; see README "Test your own workloads"' });
      throw new InfraError(`${where}: adding ephemeral container ${name} failed: ${apiErrorMessage(e)}`, { cause: e });
    }
  }
  let last: V1Pod | undefined;
  const ok = await pollUntil(
    async () => {
      last = await api.readPod(namespace, podName);
      const st = stateOf(last, name);
      if (st === 'running') return true;
      if (st === 'terminated' || HOPELESS.test(describeState(last, name))) throw new InfraError(`${where}: ephemeral container ${name} did not start: ${describeState(last, name)}`, { hint: `the agent image ${image} must be on the node (kind: preloaded by the harness; other clusters: pullable)` });
      return false;
    },
    { timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 250, ...(opts.clock ? { clock: opts.clock } : {}) },
  );
  if (!ok) throw new InfraError(`${where}: ephemeral container ${name} not running after ${Math.round((opts.timeoutMs ?? 60_000) / 1000)} s: ${last ? describeState(last, name) : 'no status'}`);
  const ms = (opts.clock ?? { now: () => Date.now() }).now() - t0;
  return { namespace, pod: podName, container: name, reused, ms };
}
