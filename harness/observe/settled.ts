// The settle phase: before a run's first step, wait until the cluster services every probe depends
// on are Ready and stable: every CoreDNS replica, the CNI's agent on every node, kube-proxy where it
// runs. "Stable" is what the step guard (observe/guard.ts) trusts: Ready (and its containers running)
// (its containers started) longer than the trust window ago, no failed health probe in the
// probe-failure shadow, on a Ready node. A cluster the run just created has CoreDNS turning Ready seconds after the
// CNI: probed then, its cells would be distrusted and the wait would read as the CNI's time to enforce.
// Young DNS pods need not wait out the window when there is evidence they are served (verifyDns:
// observe/dns-serving.ts): then they are trusted from that moment, and the guard is told so. Young CNI
// agents neither, once the enforcement canary passed through their node (cniAgentsProven).
import type { KubeClient } from '../cluster/kube-client.js';
import { CNI_ENDPOINT, CNI_TARGETS } from './cni-agents.js';
import { DNS_ENDPOINT } from './guard.js';
import { NEW_POD_SHADOW_MS, PROBE_FAILURE_SHADOW_MS, startupNoise, takeSnapshot, type PodSnap, type Snapshot, type WatchTarget } from './snapshot.js';
import { DNS_TARGET } from './step.js';

export const KUBE_PROXY_ENDPOINT = 'kube-proxy';
const KUBE_PROXY_TARGET: WatchTarget = { endpoint: KUBE_PROXY_ENDPOINT, namespace: 'kube-system', labels: { 'k8s-app': 'kube-proxy' }, agent: false, clusterService: true };

/** What the settle phase watches: the DNS server, the CNI agents we know, kube-proxy. */
export const SETTLE_TARGETS: WatchTarget[] = [DNS_TARGET, ...CNI_TARGETS, KUBE_PROXY_TARGET];

export interface SettleClusterOptions {
  client: KubeClient;
  /** How long each pod must have been Ready and running (default: the guard's NEW_POD_SHADOW_MS). */
  trustWindowMs?: number;
  /** How long a failed health probe casts doubt (default: the guard's PROBE_FAILURE_SHADOW_MS). */
  probeFailureMs?: number;
  /** Give up after this long (default 120 s): the run goes on, and the guard keeps faults out of verdicts. */
  timeoutMs?: number;
  intervalMs?: number;
  apiDeadlineMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Told once per reading that is not settled yet (progress lines). */
  onWait?: (reasons: string[]) => void;
  /**
   * Wait for a CoreDNS pod to appear (default true: a cluster being created gets one). False for
   * someone else's cluster, whose DNS server may run under other labels: none found is not waited for.
   */
  requireDns?: boolean;
  /** Stops waiting (the run is ending): returns as not settled. */
  signal?: AbortSignal;
  /**
   * Evidence that DNS pods younger than the trust window are served (undefined: they are; else why
   * not). Asked at most once a reading, only while such pods are otherwise stable.
   */
  verifyDns?: (pods: PodSnap[]) => Promise<string | undefined>;
  /**
   * Evidence for young CNI agents (turned Ready once, never restarted): undefined when the run has
   * it for every one of them (cniAgentsProven), else why not. Asked while they are otherwise stable.
   */
  verifyCniAgents?: (agents: PodSnap[]) => string | undefined;
}

export interface ClusterSettled {
  settled: boolean;
  /** ms from the call until settled (or until it gave up). */
  waitedMs: number;
  /** Why it was not settled at the last reading (empty when settled). */
  reasons: string[];
  /** What it waited for: pods of each kind it found. */
  found: { dns: number; cniAgents: number; kubeProxy: number };
  /**
   * When young DNS pods were shown served (ms since the epoch): the guard trusts DNS pods Ready
   * before then (observe/step.ts watchTargets). Undefined when the window did the trusting.
   */
  dnsServedAt?: number;
  /** Why the last DNS check did not count, when one was made and failed. */
  dnsUnserved?: string;
}

/** Pods trusted on evidence before their window ended: uid -> the start (Ready or restart) they were verified at. */
export type TrustedPods = ReadonlyMap<string, number>;

/** When a pod last became Ready or (re)started its containers: its window counts from there. */
const sinceOf = (p: PodSnap): number => Math.max(p.readySince ?? -Infinity, p.startedAt ?? -Infinity);

const podId = (p: PodSnap): string => `${p.namespace}/${p.name}`;

/** Why one pod is not stable at `now`, or undefined when it is. */
function podUnstable(snap: Snapshot, p: PodSnap, now: number, windowMs: number, failureMs: number, trusted?: TrustedPods): string | undefined {
  const node = snap.nodes.get(p.node);
  if (node && !node.ready) return `${podId(p)}: node ${p.node} is NotReady`;
  if (p.terminating) return `${podId(p)}: terminating`;
  if (!p.ready) return `${podId(p)}: not Ready (phase ${p.phase})`;
  // A restarted container shows in its start time even when the pod's Ready condition did not flip.
  const since = sinceOf(p);
  // Verified served since this start: no window (a later restart or Ready flip brings it back).
  const verified = trusted?.has(p.uid) === true && since <= trusted.get(p.uid)!;
  if (since > now - windowMs && !verified) {
    const what = p.restarts > 0 && p.startedAt === since ? `restarted (${p.restarts}x), running` : 'Ready';
    return `${podId(p)}: ${what} only ${Math.max(0, (now - since) / 1000).toFixed(0)} s (trusted after ${(windowMs / 1000).toFixed(0)} s)`;
  }
  const failed = [...snap.warnings.values()].find((w) => w.pod === podId(p) && w.last > now - failureMs && !startupNoise(w, p));
  if (failed) return `${podId(p)}: failed a health probe ${Math.max(0, (now - failed.last) / 1000).toFixed(0)} s ago (${failed.message.slice(0, 80)})`;
  return undefined;
}

/** Why the cluster's services are not settled in this reading (pure); empty when they are. */
export function unsettledReasons(snap: Snapshot, now: number, opts: { windowMs: number; failureMs: number; requireDns?: boolean; trusted?: TrustedPods }): string[] {
  const out: string[] = [];
  const of = (endpoint: string): PodSnap[] => [...snap.pods.values()].filter((p) => p.endpoints.includes(endpoint));
  const check = (p: PodSnap): void => {
    const why = podUnstable(snap, p, now, opts.windowMs, opts.failureMs, opts.trusted);
    if (why) out.push(why);
  };
  const dns = of(DNS_ENDPOINT);
  if (dns.length === 0 && opts.requireDns !== false) out.push('no CoreDNS (k8s-app=kube-dns) pod yet');
  dns.forEach(check);
  // The CNI's agents: one per node. None at all is a CNI whose agents we do not know: nothing to wait for.
  const agents = of(CNI_ENDPOINT);
  if (agents.length > 0) {
    for (const n of snap.nodes.keys()) if (!agents.some((p) => p.node === n)) out.push(`no CNI agent on node ${n} yet`);
    agents.forEach(check);
  }
  of(KUBE_PROXY_ENDPOINT).forEach(check);
  for (const n of snap.nodes.values()) if (!n.ready) out.push(`node ${n.name} is NotReady${n.reason ? ` (${n.reason})` : ''}`);
  return out;
}

type WindowRules = { windowMs: number; failureMs: number; trusted?: TrustedPods };

/** Pods of `which` stable in every way but their age (pure): what evidence may vouch for. */
function youngPods(snap: Snapshot, now: number, opts: WindowRules, which: (p: PodSnap) => boolean): PodSnap[] {
  return [...snap.pods.values()].filter((p) => which(p) && podUnstable(snap, p, now, opts.windowMs, opts.failureMs, opts.trusted) !== undefined && podUnstable(snap, p, now, 0, opts.failureMs) === undefined);
}

/** Young DNS pods (pure): what verifyDns may vouch for. */
export const youngDnsPods = (snap: Snapshot, now: number, opts: WindowRules): PodSnap[] => youngPods(snap, now, opts, (p) => p.endpoints.includes(DNS_ENDPOINT));

/** Young CNI agents (pure), never restarted: a restart keeps its window, as the guard does. */
export const youngCniAgents = (snap: Snapshot, now: number, opts: WindowRules): PodSnap[] => youngPods(snap, now, opts, (p) => p.endpoints.includes(CNI_ENDPOINT) && p.restarts === 0);

/**
 * Whether the run has evidence for these young CNI agents (pure): the enforcement canary passed
 * through each one's node, having started after the agent turned Ready (it saw a default-deny
 * enforced there, then an allow rule honoured), or none of the run's pods runs on its node (its
 * DNS pods, if any, are covered by the DNS check). Undefined when it has; else why not.
 */
export function cniAgentsProven(agents: readonly PodSnap[], e: { canaryNodes: readonly string[]; canaryStartedAt?: number; runNodes?: ReadonlySet<string> }): string | undefined {
  for (const a of agents) {
    const byCanary = e.canaryStartedAt !== undefined && e.canaryNodes.includes(a.node) && sinceOf(a) <= e.canaryStartedAt;
    const idle = e.runNodes !== undefined && !e.runNodes.has(a.node);
    if (!byCanary && !idle) return `${podId(a)}: no enforcement canary through node ${a.node || '?'} since it turned Ready`;
  }
  return undefined;
}

/** Waits until the cluster services are settled (unsettledReasons is empty), or the timeout passes. */
export async function waitForClusterServices(o: SettleClusterOptions): Promise<ClusterSettled> {
  const now = o.now ?? Date.now;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const windowMs = o.trustWindowMs ?? NEW_POD_SHADOW_MS;
  const failureMs = o.probeFailureMs ?? PROBE_FAILURE_SHADOW_MS;
  const timeoutMs = o.timeoutMs ?? 120_000;
  const start = now();
  let reasons: string[] = ['the cluster was not read'];
  let found = { dns: 0, cniAgents: 0, kubeProxy: 0 };
  const trusted = new Map<string, number>();
  let dnsServedAt: number | undefined;
  let dnsUnserved: string | undefined;
  const evidence = (): Pick<ClusterSettled, 'dnsServedAt' | 'dnsUnserved'> => ({ ...(dnsServedAt !== undefined ? { dnsServedAt } : {}), ...(dnsUnserved !== undefined && dnsServedAt === undefined ? { dnsUnserved } : {}) });
  for (;;) {
    let snap: Snapshot | undefined;
    try {
      snap = await takeSnapshot(o.client, SETTLE_TARGETS, o.apiDeadlineMs ?? 10_000, now);
    } catch (e) {
      reasons = [`the API server did not answer: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`];
    }
    if (snap) {
      const count = (e: string): number => [...snap.pods.values()].filter((p) => p.endpoints.includes(e)).length;
      found = { dns: count(DNS_ENDPOINT), cniAgents: count(CNI_ENDPOINT), kubeProxy: count(KUBE_PROXY_ENDPOINT) };
      const rules = { windowMs, failureMs, trusted, ...(o.requireDns !== undefined ? { requireDns: o.requireDns } : {}) };
      reasons = unsettledReasons(snap, now(), rules);
      const agents = o.verifyCniAgents && reasons.length > 0 ? youngCniAgents(snap, now(), rules) : [];
      if (agents.length > 0 && o.verifyCniAgents!(agents) === undefined) {
        for (const p of agents) trusted.set(p.uid, sinceOf(p));
        reasons = unsettledReasons(snap, now(), rules);
      }
      const young = o.verifyDns && reasons.length > 0 ? youngDnsPods(snap, now(), rules) : [];
      if (young.length > 0) {
        dnsUnserved = await o.verifyDns!(young);
        if (dnsUnserved === undefined) {
          dnsServedAt = now();
          for (const p of young) trusted.set(p.uid, sinceOf(p));
          reasons = unsettledReasons(snap, now(), rules);
        }
      }
      if (reasons.length === 0) return { settled: true, waitedMs: now() - start, reasons, found, ...evidence() };
    }
    if (now() - start >= timeoutMs || o.signal?.aborted) return { settled: false, waitedMs: now() - start, reasons, found, ...evidence() };
    o.onWait?.(reasons);
    await sleep(o.intervalMs ?? 1000);
  }
}
