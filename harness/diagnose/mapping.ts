// Mapping a flow as a person names it onto the cluster: the source to one Ready pod; the target
// (a Service DNS name, ns/svc, ns/pod, a controller, or an IP) to a Service port, its targetPort
// (named ports resolved per backend), and the backend pods with their readiness. What is not a
// policy problem (no ready endpoints, a port that maps to no container port) is said here. Pure.
import { UsageError } from '../errors.js';
import type { Protocol } from '../policy/model.js';
import type { LivePod, LiveReading, LiveService, LiveServicePort } from './live.js';
import { isReady, livePods, podId, proto } from './model.js';

export const CLUSTER_DOMAIN = 'cluster.local';

export interface SourceMapping {
  /** `<namespace>/<pod>` */
  pod: string;
  namespace: string;
  name: string;
  ip: string;
  node?: string;
  labels: Record<string, string>;
  /** How it was named, and what it resolved through (`deployment/frontend`, 2 Ready pods, took the first). */
  via: string;
}

export interface Backend {
  pod: string;
  ip?: string;
  node?: string;
  ready: boolean;
  /** The container port the flow lands on (undefined: the targetPort maps to no container port of this pod). */
  port?: number;
  /** Why this backend cannot take the flow, in plain words (not a policy matter). */
  problem?: string;
}

export interface TargetMapping {
  kind: 'service' | 'pod' | 'address';
  input: string;
  namespace?: string;
  /** `<svc>.<ns>.svc.cluster.local` for a Service. */
  dnsName?: string;
  service?: { id: string; clusterIP?: string; headless: boolean; port: number; portName?: string; targetPort: number | string; selector: Record<string, string> };
  /** The port the client connects to (the Service port for a Service). */
  port: number;
  protocol: Protocol;
  backends: Backend[];
  /** Not policy problems: no ready endpoints, no container port, no selector. */
  problems: string[];
}

export interface FlowMapping {
  source: SourceMapping;
  target: TargetMapping;
}

interface PortSpecText {
  port?: number;
  portName?: string;
  protocol?: Protocol;
}

const CONTROLLERS = ['deployment', 'statefulset', 'daemonset', 'replicaset'] as const;
const IP4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** `host[:port[/proto]]`, with IPv6 in brackets. */
export function splitPort(text: string): { host: string } & PortSpecText {
  let host = text;
  let rest: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (v6) {
    host = v6[1]!;
    rest = v6[2];
  } else {
    const i = text.indexOf(':');
    if (i !== -1) {
      host = text.slice(0, i);
      rest = text.slice(i + 1);
    }
  }
  if (rest === undefined || rest === '') return { host };
  const [p = '', pr] = rest.split('/');
  const protocol = pr === undefined ? undefined : pr.toUpperCase();
  if (protocol !== undefined && protocol !== 'TCP' && protocol !== 'UDP' && protocol !== 'SCTP') throw new UsageError(`--to ${text}: protocol "${pr}" must be TCP, UDP or SCTP`);
  const out: { host: string } & PortSpecText = { host, ...(protocol ? { protocol: protocol } : {}) };
  if (/^\d+$/.test(p)) {
    const n = Number(p);
    if (n < 1 || n > 65535) throw new UsageError(`--to ${text}: port ${n} is outside 1-65535`);
    out.port = n;
  } else if (p !== '') out.portName = p;
  return out;
}

/** Pods a controller owns: directly (StatefulSet, DaemonSet, ReplicaSet) or through a ReplicaSet `<deployment>-<hash>`. */
function ownedPods(pods: LivePod[], ns: string, kind: string, name: string): LivePod[] {
  return pods.filter((p) => {
    if (p.metadata.namespace !== ns) return false;
    return (p.metadata.ownerReferences ?? []).some((o) => {
      if (kind === 'deployment') return o.kind === 'ReplicaSet' && o.name === `${name}-${p.metadata.labels?.['pod-template-hash'] ?? ''}`;
      return o.kind.toLowerCase() === kind && o.name === name;
    });
  });
}

const byName = (a: LivePod, b: LivePod): number => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');

/** `<pod>`, `<ns>/<pod>`, `<kind>/<name>`, `<ns>/<kind>/<name>`, or `<ns>/<controller name>`. */
function findPods(r: LiveReading, text: string, defaultNs: string, side: string): { pods: LivePod[]; via: string; namespace: string } {
  const parts = text.split('/');
  let ns = defaultNs;
  let kind: string | undefined;
  let name: string;
  if (parts.length === 3) [ns, kind, name] = parts as [string, string, string];
  else if (parts.length === 2 && (CONTROLLERS as readonly string[]).concat('pod', 'po', 'deploy', 'sts', 'ds').includes(parts[0]!.toLowerCase())) [kind, name] = parts as [string, string];
  else if (parts.length === 2) [ns, name] = parts as [string, string];
  else if (parts.length === 1) name = parts[0]!;
  else throw new UsageError(`${side} "${text}": write <pod>, <namespace>/<pod>, <kind>/<name> or <namespace>/<kind>/<name>`);
  kind = kind?.toLowerCase();
  kind = kind === 'deploy' ? 'deployment' : kind === 'sts' ? 'statefulset' : kind === 'ds' ? 'daemonset' : kind === 'po' ? 'pod' : kind;
  if (!r.namespaces.some((n) => n.metadata.name === ns)) throw new UsageError(`${side} "${text}": namespace ${ns} does not exist in context ${r.context}`, { hint: 'kubectl get namespaces lists them' });
  const pods = livePods(r);
  if (kind === undefined || kind === 'pod') {
    const exact = pods.filter((p) => p.metadata.namespace === ns && p.metadata.name === name);
    if (exact.length > 0 || kind === 'pod') return { pods: exact, via: `pod ${ns}/${name}`, namespace: ns };
  }
  for (const k of kind ? [kind] : CONTROLLERS) {
    const owned = ownedPods(pods, ns, k, name).sort(byName);
    if (owned.length > 0) return { pods: owned, via: `${k}/${name} in ${ns}`, namespace: ns };
  }
  return { pods: [], via: `${kind ?? 'pod or controller'} ${ns}/${name}`, namespace: ns };
}

export function mapSource(r: LiveReading, text: string, defaultNs: string): SourceMapping {
  const { pods, via, namespace } = findPods(r, text, defaultNs, '--from');
  if (pods.length === 0) {
    const near = livePods(r).filter((p) => p.metadata.namespace === namespace).map((p) => p.metadata.name).slice(0, 8);
    throw new UsageError(`--from ${text}: no ${via} has a running pod`, { hint: near.length ? `pods in ${namespace}: ${near.join(', ')}` : `namespace ${namespace} has no running pods` });
  }
  const ready = pods.filter(isReady);
  const pod = ready[0];
  if (!pod) throw new UsageError(`--from ${text}: ${via} has ${pods.length} pod(s), none Ready: a diagnosis probes from a Ready pod`, { hint: `kubectl -n ${namespace} describe pod ${pods[0]!.metadata.name ?? ''}` });
  return {
    pod: podId(pod),
    namespace,
    name: pod.metadata.name ?? '',
    ip: pod.status!.podIP!,
    ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}),
    labels: { ...(pod.metadata.labels ?? {}) },
    via: pods.length > 1 ? `${via}: ${ready.length} Ready of ${pods.length}, probing from the first` : via,
  };
}

/** `svc.ns`, `svc.ns.svc`, `svc.ns.svc.cluster.local` (any cluster domain) -> [ns, svc]. */
export function parseServiceDns(host: string): { namespace: string; name: string } | undefined {
  const l = host.replace(/\.$/, '').split('.');
  if (l.length === 2 || (l.length >= 3 && l[2] === 'svc')) return { name: l[0]!, namespace: l[1]! };
  return undefined;
}

function containerPorts(p: LivePod): { name?: string; containerPort: number; protocol?: string }[] {
  return (p.spec?.containers ?? []).flatMap((c) => c.ports ?? []);
}

const selected = (pods: LivePod[], s: LiveService): LivePod[] => {
  const sel = Object.entries(s.spec?.selector ?? {});
  if (sel.length === 0) return [];
  return pods.filter((p) => p.metadata.namespace === s.metadata.namespace && sel.every(([k, v]) => p.metadata.labels?.[k] === v)).sort(byName);
};

function pickServicePort(s: LiveService, want: PortSpecText, input: string): LiveServicePort {
  const ports = s.spec?.ports ?? [];
  const list = ports.map((p) => `${p.port}/${proto(p.protocol)}${p.name ? ` (${p.name})` : ''}`).join(', ') || 'none';
  const id = `${s.metadata.namespace}/${s.metadata.name}`;
  const match = ports.filter(
    (p) => (want.port === undefined || p.port === want.port) && (want.portName === undefined || p.name === want.portName) && (want.protocol === undefined || proto(p.protocol) === want.protocol),
  );
  if (match.length === 0) {
    if (want.port === undefined && want.portName === undefined) throw new UsageError(`--to ${input}: Service ${id} has no ${want.protocol ?? ''} port`, { hint: `its ports: ${list}` });
    throw new UsageError(`--to ${input}: Service ${id} has no port ${want.port ?? want.portName}${want.protocol ? `/${want.protocol}` : ''}`, { hint: `its ports: ${list}` });
  }
  if (match.length > 1 && want.port === undefined && want.portName === undefined) throw new UsageError(`--to ${input}: Service ${id} has several ports; name one`, { hint: `its ports: ${list}` });
  return match[0]!;
}

function serviceTarget(r: LiveReading, s: LiveService, want: PortSpecText, input: string): TargetMapping {
  const sp = pickServicePort(s, want, input);
  const protocol = proto(sp.protocol);
  const targetPort = sp.targetPort ?? sp.port;
  const id = `${s.metadata.namespace}/${s.metadata.name}`;
  const headless = s.spec?.clusterIP === 'None';
  const problems: string[] = [];
  const backends: Backend[] = selected(livePods(r), s).map((p) => {
    let port: number | undefined;
    let problem: string | undefined;
    const cps = containerPorts(p);
    if (typeof targetPort === 'number' || /^\d+$/.test(targetPort)) {
      port = Number(targetPort);
    } else {
      port = cps.find((c) => c.name === targetPort && proto(c.protocol) === protocol)?.containerPort;
      if (port === undefined) {
        const have = cps.map((c) => `${c.containerPort}/${proto(c.protocol)}${c.name ? ` "${c.name}"` : ''}`).join(', ') || 'none declared';
        problem = `targetPort "${targetPort}" maps to no container port of this pod (its ports: ${have}), so it is no endpoint for port ${sp.port}`;
      }
    }
    if (!problem && !isReady(p)) problem = 'not Ready: kube-proxy sends it no traffic';
    return { pod: podId(p), ...(p.status?.podIP ? { ip: p.status.podIP } : {}), ...(p.spec?.nodeName ? { node: p.spec.nodeName } : {}), ready: isReady(p), ...(port !== undefined ? { port } : {}), ...(problem ? { problem } : {}) };
  });
  const selector = s.spec?.selector ?? {};
  if (Object.keys(selector).length === 0) problems.push(`Service ${id} has no selector: its endpoints are managed by hand or by another controller, which diagnose does not read`);
  else if (backends.length === 0) problems.push(`Service ${id} has no endpoints: its selector ${Object.entries(selector).map(([k, v]) => `${k}=${v}`).join(',')} matches no running pod in ${s.metadata.namespace} (not a policy problem)`);
  else if (!backends.some((b) => b.ready && b.port !== undefined)) {
    if (backends.every((b) => b.port === undefined)) problems.push(`Service ${id} port ${sp.port}/${protocol} maps to no container port: targetPort "${targetPort}" is on none of its ${backends.length} pod(s) (not a policy problem)`);
    else problems.push(`Service ${id} has no ready endpoints: ${backends.length} pod(s) match its selector, none is Ready with port ${targetPort} (not a policy problem)`);
  }
  return {
    kind: 'service',
    input,
    namespace: s.metadata.namespace ?? '',
    dnsName: `${s.metadata.name}.${s.metadata.namespace}.svc.${CLUSTER_DOMAIN}`,
    service: { id, ...(headless ? {} : s.spec?.clusterIP ? { clusterIP: s.spec.clusterIP } : {}), headless, port: sp.port, ...(sp.name ? { portName: sp.name } : {}), targetPort, selector: { ...selector } },
    port: sp.port,
    protocol,
    backends,
    problems,
  };
}

function podTarget(pods: LivePod[], want: PortSpecText, input: string, via: string): TargetMapping {
  const pod = pods.find(isReady) ?? pods[0]!;
  const cps = containerPorts(pod);
  let port = want.port;
  let protocol = want.protocol;
  if (want.portName !== undefined) {
    const c = cps.find((x) => x.name === want.portName && (protocol === undefined || proto(x.protocol) === protocol));
    if (!c) throw new UsageError(`--to ${input}: ${podId(pod)} has no container port named "${want.portName}"`, { hint: `its ports: ${cps.map((x) => `${x.containerPort}/${proto(x.protocol)}${x.name ? ` (${x.name})` : ''}`).join(', ') || 'none declared'}` });
    port = c.containerPort;
    protocol = proto(c.protocol);
  }
  if (port === undefined) {
    if (cps.length !== 1) throw new UsageError(`--to ${input}: name a port (${via} declares ${cps.length === 0 ? 'none' : cps.map((x) => `${x.containerPort}/${proto(x.protocol)}`).join(', ')})`);
    port = cps[0]!.containerPort;
    protocol ??= proto(cps[0]!.protocol);
  }
  protocol ??= proto(cps.find((c) => c.containerPort === port)?.protocol);
  const problems: string[] = [];
  if (!isReady(pod)) problems.push(`${podId(pod)} is not Ready`);
  if (cps.length > 0 && !cps.some((c) => c.containerPort === port && proto(c.protocol) === protocol)) problems.push(`${podId(pod)} declares no container port ${port}/${protocol}: if nothing listens there, a connection is refused whatever the policies say`);
  return {
    kind: 'pod',
    input,
    namespace: pod.metadata.namespace ?? '',
    port,
    protocol,
    backends: [{ pod: podId(pod), ...(pod.status?.podIP ? { ip: pod.status.podIP } : {}), ...(pod.spec?.nodeName ? { node: pod.spec.nodeName } : {}), ready: isReady(pod), port }],
    problems,
  };
}

export function mapTarget(r: LiveReading, text: string, defaultNs: string): TargetMapping {
  const { host, ...want } = splitPort(text);
  // An address: a pod's, a Service's ClusterIP, or something else (judged as an address).
  if (IP4.test(host) || host.includes(':')) {
    const svc = r.services.find((s) => s.spec?.clusterIP === host);
    if (svc) return serviceTarget(r, svc, want, text);
    const pods = livePods(r).filter((p) => p.status?.podIP === host && !p.spec?.hostNetwork);
    if (pods.length > 0) return podTarget(pods, want, text, podId(pods[0]!));
    if (want.port === undefined) throw new UsageError(`--to ${text}: an address needs a port (${host}:<port>)`);
    return { kind: 'address', input: text, port: want.port, protocol: want.protocol ?? 'TCP', backends: [{ pod: host, ip: host, ready: true, port: want.port }], problems: [] };
  }
  if (host.includes('.')) {
    const d = parseServiceDns(host);
    const s = d && r.services.find((x) => x.metadata.namespace === d.namespace && x.metadata.name === d.name);
    if (!s) throw new UsageError(`--to ${text}: ${host} names no Service in this cluster`, { hint: 'write <service>.<namespace>[.svc.cluster.local], <namespace>/<service> or <namespace>/<pod>' });
    return serviceTarget(r, s, want, text);
  }
  const parts = host.split('/');
  const ns = parts.length >= 2 ? parts[0]! : defaultNs;
  const last = parts[parts.length - 1]!;
  const explicitKind = parts.length === 3 ? parts[1]!.toLowerCase() : parts.length === 2 && !r.namespaces.some((n) => n.metadata.name === parts[0]) ? parts[0]!.toLowerCase() : undefined;
  if (explicitKind === undefined || explicitKind === 'svc' || explicitKind === 'service') {
    const svcNs = parts.length === 2 && explicitKind ? defaultNs : ns;
    const s = r.services.find((x) => x.metadata.namespace === svcNs && x.metadata.name === last);
    if (s) return serviceTarget(r, s, want, text);
    if (explicitKind) throw new UsageError(`--to ${text}: no Service ${svcNs}/${last}`);
  }
  const found = findPods(r, host, defaultNs, '--to');
  if (found.pods.length === 0) throw new UsageError(`--to ${text}: no Service, pod or controller named ${last} in ${found.namespace}`, { hint: `Services there: ${r.services.filter((s) => s.metadata.namespace === found.namespace).map((s) => s.metadata.name).join(', ') || 'none'}` });
  return podTarget(found.pods, want, text, found.via);
}

export function mapFlow(r: LiveReading, from: string, to: string, defaultNs = 'default'): FlowMapping {
  return { source: mapSource(r, from, defaultNs), target: mapTarget(r, to, defaultNs) };
}
