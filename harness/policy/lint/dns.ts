// "Going dark": egress isolation that leaves pods unable to reach CoreDNS. Without a suite the
// check assumes CoreDNS as kubeadm/kind deploy it (kube-system, k8s-app=kube-dns, dns 53/UDP).
import { compilePolicies, type CompiledPolicy } from '../compile.js';
import { checkPeer, checkPorts } from '../match.js';
import { calico } from '../profiles.js';
import { describeSelector, selectorKey } from '../selectors.js';
import { podEndpoint, prepare } from '../world.js';
import type { FindingSink } from './context.js';

export const DNS_FIX =
  'allow egress on 53/UDP and 53/TCP to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {matchLabels: {k8s-app: kube-dns}}}] for these pods';

const COREDNS = {
  id: 'kube-system/coredns',
  namespace: 'kube-system',
  labels: { 'k8s-app': 'kube-dns' },
  ports: [
    { name: 'dns', port: 53, protocol: 'UDP' as const },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' as const },
  ],
};

/** Policies (same namespace) with an egress rule that lets their pods reach a standard CoreDNS on 53/UDP. */
function dnsAllowing(policies: CompiledPolicy[]): CompiledPolicy[] {
  const world = prepare({ namespaces: [{ name: 'kube-system', labels: {} }], pods: [COREDNS], externals: [], policies: [] }, calico);
  const dns = podEndpoint(world, COREDNS);
  return policies.filter((p) =>
    p.egress.some((r) => checkPorts(world, r, 'UDP', 53, dns).match && (r.peers === 'all' || r.peers.some((peer) => checkPeer(world, p, peer, dns).match))),
  );
}

const contains = (wide: CompiledPolicy, narrow: CompiledPolicy): boolean => {
  const n = new Set(selectorKey(narrow.podSelector).split('\u0002').filter(Boolean));
  return selectorKey(wide.podSelector)
    .split('\u0002')
    .filter(Boolean)
    .every((k) => n.has(k));
};

/** File mode: per namespace, every egress-isolating policy needs a DNS allow covering its pods. */
export function checkDnsWithoutSuite(policies: CompiledPolicy[], sink: FindingSink): void {
  const byNs = new Map<string, CompiledPolicy[]>();
  for (const p of policies) byNs.set(p.namespace, [...(byNs.get(p.namespace) ?? []), p]);
  for (const [ns, list] of byNs) {
    const allow = dnsAllowing(list);
    for (const p of list.filter((x) => x.types.egress)) {
      if (allow.some((a) => contains(a, p))) continue;
      const none = allow.length === 0;
      sink.add(
        'NPH001',
        p.source,
        p.source.policy.spec?.policyTypes ? 'spec.policyTypes' : 'spec.podSelector',
        none
          ? `${p.ref} isolates egress of pods ${describeSelector(p.podSelector)} in ${ns}, and no policy in ${ns} allows DNS to CoreDNS (kube-system, k8s-app=kube-dns, 53/UDP): name resolution fails ("going dark")`
          : `${p.ref} isolates egress of pods ${describeSelector(p.podSelector)} in ${ns}; DNS is allowed only by ${allow.map((a) => `${a.ref} (pods ${describeSelector(a.podSelector)})`).join(', ')}, which may not cover them`,
        DNS_FIX,
        none ? 'error' : 'warning',
      );
    }
  }
}

/** Exposed for tests: compiles and runs the file-mode check on plain policies. */
export function dnsAllowingPolicies(list: Parameters<typeof compilePolicies>[0]): string[] {
  return dnsAllowing(compilePolicies(list).policies).map((p) => p.ref);
}
