// Evidence that a young DNS server is served, instead of waiting out the guard's trust window: the
// window exists because kube-proxy and the CNI may not route to a pod that turned Ready moments ago.
// A query answered by every CoreDNS pod at its own address, and one answered through the cluster
// DNS Service, from one source pod on every node the run probes from, shows they do. Anything
// short of that (no answer, an error, no source yet) is no evidence: the window applies as before.
import type { PodSnap } from './snapshot.js';
import type { Prober, SourcePod } from '../probe/prober.js';
import type { AgentTarget } from '../probe/targets.js';
import { cellKey } from '../matrix/matrix.js';

/** A name every cluster's DNS answers (fully qualified: no search-path expansion). */
export const PROBE_NAME = 'kubernetes.default.svc.cluster.local.';

/** One source per node (the first by endpoint id), at most `max` of them. */
export function onePerNode(sources: Iterable<SourcePod>, max = 8): SourcePod[] {
  const byNode = new Map<string, SourcePod>();
  for (const s of [...sources].sort((a, b) => a.endpoint.localeCompare(b.endpoint))) if (!byNode.has(s.node ?? '')) byNode.set(s.node ?? '', s);
  return [...byNode.values()].slice(0, max);
}

/** The queries (pure): one to each DNS pod's own address, one through the pod's resolver (the Service). */
export function dnsTargets(pods: readonly PodSnap[], timeoutMs: number): AgentTarget[] {
  const direct = pods.filter((p) => p.ip).map((p): AgentTarget => ({ id: `dns-pod:${p.ip}`, kind: 'dns', host: p.ip, name: PROBE_NAME, timeoutMs }));
  return [...direct, { id: 'dns-service', kind: 'dns', name: PROBE_NAME, timeoutMs }];
}

/**
 * Undefined when every source got an answer to every query; otherwise why not (the first failure).
 * Never throws: a fault is no evidence either way.
 */
export async function dnsServed(prober: Prober, sources: readonly SourcePod[], pods: readonly PodSnap[], timeoutMs = 1000): Promise<string | undefined> {
  if (sources.length === 0) return 'no source pod to query from yet';
  if (pods.some((p) => !p.ip)) return 'a DNS pod has no address yet';
  const targets = dnsTargets(pods, timeoutMs);
  try {
    const results = await prober.round(sources.map((source) => ({ source, targets })));
    for (const s of sources) {
      for (const t of targets) {
        const r = results.get(cellKey(s.endpoint, t.id));
        if (r?.class !== 'connected') return `${s.namespace}/${s.pod}${s.node ? ` on ${s.node}` : ''}: ${t.host ? `DNS pod ${t.host}` : 'the DNS Service'} gave ${r ? `${r.class}${r.detail ? ` (${r.detail})` : ''}` : 'no result'}`;
      }
    }
    return undefined;
  } catch (e) {
    return `the DNS check failed: ${e instanceof Error ? e.message : String(e)}`;
  }
}
