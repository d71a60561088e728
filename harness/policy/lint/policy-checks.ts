// Checks that need only the NetworkPolicy documents (no suite): defaulting traps, over-broad
// peers and ports, DNS mistakes, duplicates and shadowed rules.
import type { CompiledPeer, CompiledPolicy, CompiledRule } from '../compile.js';
import { rangeCovers } from '../ipblock.js';
import type { PortEntry } from '../ports.js';
import { describeSelector, isEmptySelector, requirements, selectorKey } from '../selectors.js';
import type { LabelSelector } from '../types.js';
import { METADATA_NAME } from '../world.js';
import { ContainmentIndex, requirementKeys } from './rule-index.js';
import { effectiveRules, onlyDnsPorts, peerLooksLikeDns, peerPath, portsOpen, ruleField, rulePath, type FindingSink } from './context.js';

export const WIDE_RANGE = 1024;

const DNS_NS_FIX = `put namespaceSelector: {matchLabels: {${METADATA_NAME}: kube-system}} in the same peer as the podSelector (one list item, no "-" before it, so both must match)`;

function checkTypes(p: CompiledPolicy, sink: FindingSink): void {
  const spec = p.source.policy.spec ?? {};
  const nIngress = spec.ingress?.length ?? 0;
  const nEgress = spec.egress?.length ?? 0;
  if (!p.typesDefaulted) {
    if (nIngress > 0 && !p.types.ingress) {
      sink.add('NPH009', p.source, 'spec.ingress', `${nIngress} ingress rule${nIngress > 1 ? 's are' : ' is'} ignored: policyTypes does not list Ingress`, 'add Ingress to policyTypes, or delete the ingress rules');
    }
    if (nEgress > 0 && !p.types.egress) {
      sink.add('NPH009', p.source, 'spec.egress', `${nEgress} egress rule${nEgress > 1 ? 's are' : ' is'} ignored: policyTypes does not list Egress`, 'add Egress to policyTypes, or delete the egress rules');
    }
    return;
  }
  if (nEgress > 0 && nIngress === 0) {
    sink.add(
      'NPH010',
      p.source,
      'spec.egress',
      `no policyTypes: the API server sets [Ingress, Egress] because there are egress rules, so the selected pods (${describeSelector(p.podSelector)}) also deny all ingress`,
      'write policyTypes: [Egress] if only egress was meant (or [Ingress, Egress] to keep the ingress deny on purpose)',
    );
  }
}

function checkPeer(p: CompiledPolicy, r: CompiledRule, peer: CompiledPeer, sink: FindingSink): void {
  const at = peerPath(r, peer);
  if (peer.ipBlock) {
    if (peer.ipBlock.cidr.lo === 0n && peer.ipBlock.cidr.hi === (peer.ipBlock.cidr.family === 4 ? 0xffffffffn : (1n << 128n) - 1n)) {
      const except = peer.ipBlock.except.length > 0 ? ` (except ${peer.raw.ipBlock?.except?.join(', ')})` : '';
      sink.add(
        'NPH006',
        p.source,
        `${at}.ipBlock.cidr`,
        `ipBlock ${peer.raw.ipBlock?.cidr}${except} ${r.direction === 'ingress' ? 'admits' : 'reaches'} every ${peer.ipBlock.cidr.family === 4 ? 'IPv4' : 'IPv6'} address; on Calico that includes pod and node IPs not excepted`,
        'narrow the CIDR to the addresses really needed (e.g. the external API\'s range); except the pod and Service subnets if it must stay wide',
      );
    }
    return;
  }
  if (peer.namespaceSelector && isEmptySelector(peer.namespaceSelector)) {
    const pods = peer.podSelector && !isEmptySelector(peer.podSelector) ? `pods labelled ${describeSelector(peer.podSelector)} in every namespace` : 'every pod of every namespace';
    sink.add(
      'NPH005',
      p.source,
      `${at}.namespaceSelector`,
      `namespaceSelector {} selects ${pods}${peer.podSelector && !isEmptySelector(peer.podSelector) ? ': a pod anywhere that copies the labels gets in' : ''}`,
      `select the namespaces by name: namespaceSelector: {matchLabels: {${METADATA_NAME}: <namespace>}}`,
    );
  } else if (peer.namespaceSelector) {
    const keys = requirements(peer.namespaceSelector).map((q) => q.key);
    if (keys.some((k) => k !== METADATA_NAME)) {
      sink.add(
        'NPH015',
        p.source,
        `${at}.namespaceSelector`,
        `namespaceSelector ${describeSelector(peer.namespaceSelector)} relies on labels anyone allowed to edit namespaces can set`,
        `select by name where possible: ${METADATA_NAME}: <namespace> (set by the control plane, immutable)`,
      );
    }
  }
  if (r.direction === 'egress' && !peer.namespaceSelector && peer.podSelector && p.namespace !== 'kube-system' && (peerLooksLikeDns(peer) || onlyDnsPorts(r.ports))) {
    sink.add(
      'NPH002',
      p.source,
      at,
      `DNS peer podSelector ${describeSelector(peer.podSelector)} has no namespaceSelector, so it selects pods in ${p.namespace} only; CoreDNS runs in kube-system and is never matched (DNS stays blocked)`,
      DNS_NS_FIX,
    );
  }
}

function checkPorts(p: CompiledPolicy, r: CompiledRule, sink: FindingSink): void {
  const at = rulePath(r);
  if (r.ports.length === 1 && r.ports[0]!.kind === 'all') {
    if (r.peers !== 'all') {
      sink.add('NPH007', p.source, at, `${r.direction} rule ${r.index} has no ports: it allows every port of every protocol`, 'list the ports the traffic uses (port, protocol)');
    }
    return;
  }
  const noProto: number[] = [];
  const raw = (p.source.policy.spec?.[r.direction]?.[r.index]?.ports ?? []) as { protocol?: string }[];
  for (const e of r.ports) {
    if (e.kind === 'all') continue;
    if (raw[e.index]?.protocol === undefined) noProto.push(e.index);
    if (e.kind === 'range' && e.endPort !== undefined && e.hi - e.lo + 1 > WIDE_RANGE) {
      sink.add('NPH008', p.source, `${at}.ports[${e.index}]`, `port range ${e.lo}-${e.hi}/${e.protocol} opens ${e.hi - e.lo + 1} ports`, 'list the ports in use, or narrow the range');
    }
  }
  if (noProto.length > 0) {
    sink.add(
      'NPH011',
      p.source,
      `${at}.ports[${noProto[0]}]`,
      noProto.length === 1
        ? `ports[${noProto[0]}] has no protocol, so it means TCP only`
        : `${noProto.map((i) => `ports[${i}]`).join(', ')} have no protocol, so they mean TCP only`,
      'write protocol: TCP (or UDP/SCTP) explicitly',
    );
  }
}

function checkDnsProtocols(p: CompiledPolicy, sink: FindingSink): void {
  for (const r of p.egress) {
    const dnsish = onlyDnsPorts(r.ports) || (r.peers !== 'all' && r.peers.some(peerLooksLikeDns));
    if (!dnsish || !portsOpen(r.ports, 'UDP', 53)) continue;
    const tcpSomewhere = p.egress.some((o) => portsOpen(o.ports, 'TCP', 53) || o.ports.some((e) => e.kind === 'named' && e.protocol === 'TCP' && e.name === 'dns-tcp'));
    if (!tcpSomewhere) {
      sink.add('NPH003', p.source, `${rulePath(r)}.ports`, 'DNS is allowed on 53/UDP only: answers too large for UDP are retried over 53/TCP and fail', 'add {port: 53, protocol: TCP} to the same rule');
    }
  }
}

function checkAnyPeer(p: CompiledPolicy, r: CompiledRule, sink: FindingSink): void {
  if (r.peers !== 'all') return;
  const everything = r.ports.length === 1 && r.ports[0]!.kind === 'all';
  const who = r.direction === 'ingress' ? 'every source, including addresses outside the cluster' : 'every destination, including the internet';
  const what = everything ? 'on every port and protocol' : 'on the listed ports';
  // `to` anywhere on port 53 only is the usual DNS allow: worth knowing, not worth a warning.
  const severity = r.direction === 'egress' && onlyDnsPorts(r.ports) ? 'info' : undefined;
  sink.add('NPH004', p.source, rulePath(r), `${r.direction} rule ${r.index} has no ${ruleField(r)}: it allows ${who}, ${what}`, `list the allowed peers under ${ruleField(r)} (podSelector, namespaceSelector or ipBlock)`, severity);
}

// ---- containment, for duplicates and shadowed rules --------------------------------------

// Requirement keys per selector object: ruleContains runs many times over the same selectors.
const keysOf = new WeakMap<LabelSelector, { list: string[]; set: Set<string> }>();
function selectorKeys(sel: LabelSelector | undefined): { list: string[]; set: Set<string> } {
  if (sel === undefined) return { list: [], set: new Set() };
  let k = keysOf.get(sel);
  if (!k) {
    const list = requirementKeys(sel);
    keysOf.set(sel, (k = { list, set: new Set(list) }));
  }
  return k;
}

/** Fewer requirements select more: X ⊇ Y when every requirement of X is also one of Y. */
function selectorContains(x: LabelSelector | undefined, y: LabelSelector | undefined): boolean {
  const ys = selectorKeys(y).set;
  return selectorKeys(x).list.every((k) => ys.has(k));
}

function peerContains(a: CompiledPeer, b: CompiledPeer): boolean {
  if (a.ipBlock || b.ipBlock) {
    if (!a.ipBlock || !b.ipBlock) return false;
    return a.ipBlock.except.length === 0 && rangeCovers(a.ipBlock.cidr, b.ipBlock.cidr);
  }
  // Namespace part: absent = the policy's namespace; present and empty = all namespaces.
  if (a.namespaceSelector === undefined) {
    if (b.namespaceSelector !== undefined) return false;
  } else if (b.namespaceSelector === undefined) {
    if (!isEmptySelector(a.namespaceSelector)) return false;
  } else if (!selectorContains(a.namespaceSelector, b.namespaceSelector)) return false;
  return selectorContains(a.podSelector, b.podSelector);
}

function entryContains(a: PortEntry, b: PortEntry): boolean {
  if (a.kind === 'all') return true;
  if (b.kind === 'all' || a.protocol !== b.protocol) return false;
  if (a.kind === 'protocol') return true;
  if (a.kind === 'range') return b.kind === 'range' && b.lo >= a.lo && b.hi <= a.hi;
  return b.kind === 'named' && a.name === b.name;
}

export function ruleContains(a: CompiledRule, b: CompiledRule): boolean {
  if (a.direction !== b.direction) return false;
  const peers = a.peers === 'all' || (b.peers !== 'all' && b.peers.every((bp) => (a.peers as CompiledPeer[]).some((ap) => peerContains(ap, bp))));
  return peers && b.ports.every((bp) => a.ports.some((ap) => entryContains(ap, bp)));
}

const specKey = (p: CompiledPolicy): string => JSON.stringify({ t: p.types, sel: selectorKey(p.podSelector), i: p.source.policy.spec?.ingress ?? [], e: p.source.policy.spec?.egress ?? [] });

function checkRedundancy(policies: CompiledPolicy[], sink: FindingSink): void {
  // Duplicate policies: same namespace, same effective spec.
  const seen = new Map<string, CompiledPolicy>();
  const duplicates = new Set<CompiledPolicy>();
  for (const p of policies) {
    const k = `${p.namespace}|${specKey(p)}`;
    const first = seen.get(k);
    if (first && first.ref !== p.ref) {
      duplicates.add(p);
      sink.add('NPH014', p.source, 'spec', `policy ${p.ref} has the same spec as ${first.ref} (${first.source.file})`, `delete one of them`);
    } else if (!first) seen.set(k, p);
  }
  // Rules contained in another rule that applies to the same pods (same namespace and podSelector).
  const groups = new Map<string, CompiledPolicy[]>();
  for (const p of policies) {
    if (duplicates.has(p)) continue;
    const k = `${p.namespace}|${selectorKey(p.podSelector)}`;
    const group = groups.get(k);
    if (group) group.push(p);
    else groups.set(k, [p]);
  }
  for (const group of groups.values()) {
    const rules = group.flatMap((p) => effectiveRules(p).map((r) => ({ p, r })));
    // The first rule (in order) that contains b, as a scan of every rule would find it; the index
    // skips the rules that cannot contain b.
    const index = new ContainmentIndex(rules.map((x) => x.r));
    for (const [j, b] of rules.entries()) {
      for (const i of index.candidates(b.r)) {
        const a = rules[i]!;
        // Two versions of one object (a later step replaces it in place) never hold at the same time.
        if (i === j || (a.p !== b.p && a.p.ref === b.p.ref) || !ruleContains(a.r, b.r)) continue;
        const same = ruleContains(b.r, a.r);
        // Two identical rules: report the later one only.
        if (same && i > j) continue;
        const where = a.p === b.p ? `${a.r.direction}[${a.r.index}]` : `${a.p.ref} ${a.r.direction}[${a.r.index}]`;
        sink.add(
          'NPH014',
          b.p.source,
          rulePath(b.r),
          same ? `${b.r.direction}[${b.r.index}] repeats ${where}` : `${b.r.direction}[${b.r.index}] is shadowed by ${where}, which already allows everything it allows`,
          same ? 'delete the repeated rule' : 'delete the narrower rule, or narrow the wider one if it allows more than intended',
        );
        break;
      }
    }
  }
}

/** Checks every compiled policy; `all` is every compiled policy linted together (duplicates span files). */
export function checkPolicies(policies: CompiledPolicy[], sink: FindingSink): void {
  for (const p of policies) {
    checkTypes(p, sink);
    for (const r of effectiveRules(p)) {
      checkAnyPeer(p, r, sink);
      if (r.peers !== 'all') for (const peer of r.peers) checkPeer(p, r, peer, sink);
      checkPorts(p, r, sink);
    }
    checkDnsProtocols(p, sink);
  }
  checkRedundancy(policies, sink);
}
