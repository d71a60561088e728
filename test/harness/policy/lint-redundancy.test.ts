// NPH014 (duplicate or shadowed rules) on generated policy sets: the indexed check reports exactly
// what the original all-pairs scan reported (kept below as the oracle), finding for finding and in
// the same order, and the index never leaves out a rule that contains another.
import { expect } from 'chai';
import { Picker, rng } from '../../../harness/conformance/random/prng.js';
import { compilePolicies, type CompiledPeer, type CompiledPolicy, type CompiledRule } from '../../../harness/policy/compile.js';
import { rangeCovers } from '../../../harness/policy/ipblock.js';
import { effectiveRules, FindingSink, rulePath } from '../../../harness/policy/lint/context.js';
import { checkPolicies, ruleContains } from '../../../harness/policy/lint/policy-checks.js';
import { ContainmentIndex } from '../../../harness/policy/lint/rule-index.js';
import type { Finding } from '../../../harness/policy/lint/rules.js';
import type { PortEntry } from '../../../harness/policy/ports.js';
import { isEmptySelector, selectorKey } from '../../../harness/policy/selectors.js';
import type { LabelSelector, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, SourcedPolicy } from '../../../harness/policy/types.js';

/** A generated rule before it becomes ingress (`from`) or egress (`to`). */
interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

// ---- the oracle: the all-pairs algorithm as it was before the index ------------------------------

function oldSelectorContains(x: LabelSelector | undefined, y: LabelSelector | undefined): boolean {
  const ys = new Set(selectorKey(y).split('\u0002').filter(Boolean));
  return selectorKey(x)
    .split('\u0002')
    .filter(Boolean)
    .every((k) => ys.has(k));
}

function oldPeerContains(a: CompiledPeer, b: CompiledPeer): boolean {
  if (a.ipBlock || b.ipBlock) {
    if (!a.ipBlock || !b.ipBlock) return false;
    return a.ipBlock.except.length === 0 && rangeCovers(a.ipBlock.cidr, b.ipBlock.cidr);
  }
  if (a.namespaceSelector === undefined) {
    if (b.namespaceSelector !== undefined) return false;
  } else if (b.namespaceSelector === undefined) {
    if (!isEmptySelector(a.namespaceSelector)) return false;
  } else if (!oldSelectorContains(a.namespaceSelector, b.namespaceSelector)) return false;
  return oldSelectorContains(a.podSelector, b.podSelector);
}

function oldEntryContains(a: PortEntry, b: PortEntry): boolean {
  if (a.kind === 'all') return true;
  if (b.kind === 'all' || a.protocol !== b.protocol) return false;
  if (a.kind === 'protocol') return true;
  if (a.kind === 'range') return b.kind === 'range' && b.lo >= a.lo && b.hi <= a.hi;
  return b.kind === 'named' && a.name === b.name;
}

function oldRuleContains(a: CompiledRule, b: CompiledRule): boolean {
  if (a.direction !== b.direction) return false;
  const peers = a.peers === 'all' || (b.peers !== 'all' && b.peers.every((bp) => (a.peers as CompiledPeer[]).some((ap) => oldPeerContains(ap, bp))));
  return peers && b.ports.every((bp) => a.ports.some((ap) => oldEntryContains(ap, bp)));
}

const specKey = (p: CompiledPolicy): string => JSON.stringify({ t: p.types, sel: selectorKey(p.podSelector), i: p.source.policy.spec?.ingress ?? [], e: p.source.policy.spec?.egress ?? [] });

function oracle(policies: CompiledPolicy[], sink: FindingSink): void {
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
  const groups = new Map<string, CompiledPolicy[]>();
  for (const p of policies) {
    if (duplicates.has(p)) continue;
    const k = `${p.namespace}|${selectorKey(p.podSelector)}`;
    groups.set(k, [...(groups.get(k) ?? []), p]);
  }
  for (const group of groups.values()) {
    const rules = group.flatMap((p) => effectiveRules(p).map((r) => ({ p, r })));
    for (const [j, b] of rules.entries()) {
      for (const [i, a] of rules.entries()) {
        if (i === j || !oldRuleContains(a.r, b.r)) continue;
        const same = oldRuleContains(b.r, a.r);
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

// ---- generated policy sets: few labels, ports and blocks, so containment is common ---------------

const LABELS: [string, string][] = [
  ['app', 'a'],
  ['app', 'b'],
  ['tier', 'x'],
  ['tier', 'y'],
  ['role', 'r'],
];

function selector(pick: Picker, maxReqs: number): LabelSelector {
  const reqs = pick.int(0, maxReqs);
  const sel: LabelSelector = {};
  for (let i = 0; i < reqs; i++) {
    const [k, v] = pick.pick(LABELS);
    if (pick.chance(0.7)) sel.matchLabels = { ...sel.matchLabels, [k]: v };
    else sel.matchExpressions = [...(sel.matchExpressions ?? []), pick.chance(0.5) ? { key: k, operator: 'In', values: [v] } : { key: k, operator: 'Exists' }];
  }
  return sel;
}

function peer(pick: Picker): NetworkPolicyPeer {
  const r = pick.next();
  if (r < 0.25) {
    const cidr = pick.pick(['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.3/32', '0.0.0.0/0', '192.168.0.0/16', 'fd00::/8', 'fd00:1::/32', '::/0']);
    const except = cidr === '10.0.0.0/8' && pick.chance(0.3) ? ['10.9.0.0/16'] : cidr === '0.0.0.0/0' && pick.chance(0.3) ? ['10.0.0.0/8'] : undefined;
    return { ipBlock: { cidr, ...(except ? { except } : {}) } };
  }
  const out: NetworkPolicyPeer = {};
  if (r < 0.85 || pick.chance(0.5)) out.podSelector = selector(pick, 3);
  if (r >= 0.6) out.namespaceSelector = pick.chance(0.3) ? {} : pick.chance(0.5) ? { matchLabels: { 'kubernetes.io/metadata.name': pick.pick(['ns1', 'ns2']) } } : selector(pick, 2);
  return out;
}

function port(pick: Picker): NetworkPolicyPort {
  const protocol = pick.pick(['TCP', 'TCP', 'UDP', 'SCTP'] as const);
  const r = pick.next();
  const proto = pick.chance(0.8) ? { protocol } : {};
  if (r < 0.15) return proto;
  if (r < 0.3) return { ...proto, port: pick.pick(['http', 'dns', 'metrics']) };
  if (r < 0.45) {
    const lo = pick.pick([53, 80, 8000]);
    return { ...proto, port: lo, endPort: lo + pick.pick([0, 10, 1000]) };
  }
  return { ...proto, port: pick.pick([53, 80, 443, 8000, 8005]) };
}

function rule(pick: Picker): NetworkPolicyRule {
  const peers = pick.chance(0.15) ? undefined : Array.from({ length: pick.int(1, 3) }, () => peer(pick));
  const ports = pick.chance(0.15) ? undefined : Array.from({ length: pick.int(1, 3) }, () => port(pick));
  return { ...(peers ? { from: peers, to: peers } : {}), ...(ports ? { ports } : {}) };
}

/** A policy set of `n` policies in two namespaces with three pod selectors; some copy an earlier rule or policy. */
function generate(seed: number, n: number): SourcedPolicy[] {
  const pick = new Picker(rng(seed));
  const out: SourcedPolicy[] = [];
  const rules: NetworkPolicyRule[] = [];
  const specs: NetworkPolicySpec[] = [];
  for (let i = 0; i < n; i++) {
    const namespace = pick.pick(['ns1', 'ns2']);
    let spec: NetworkPolicySpec;
    if (specs.length > 0 && pick.chance(0.08)) spec = structuredClone(pick.pick(specs));
    else {
      const mk = (): NetworkPolicyRule => (rules.length > 0 && pick.chance(0.2) ? structuredClone(pick.pick(rules)) : rule(pick));
      const ingress = Array.from({ length: pick.int(0, 3) }, mk);
      const egress = Array.from({ length: pick.int(0, 3) }, mk);
      rules.push(...ingress, ...egress);
      const withPeers = (r: NetworkPolicyRule, field: 'from' | 'to'): NetworkPolicyRule => {
        const { from, to, ...rest } = r;
        const peers = field === 'from' ? from : to;
        return { ...rest, ...(peers ? { [field]: peers } : {}) };
      };
      const types = pick.pick([undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']] as const);
      spec = {
        podSelector: pick.pick([{}, { matchLabels: { app: 'a' } }, { matchLabels: { app: 'b' } }]),
        ...(types ? { policyTypes: [...types] } : {}),
        ...(ingress.length > 0 ? { ingress: ingress.map((r) => withPeers(r, 'from')) } : {}),
        ...(egress.length > 0 ? { egress: egress.map((r) => withPeers(r, 'to')) } : {}),
      };
    }
    specs.push(spec);
    // A few policies per file, so paths carry the `[doc N]` prefix too.
    const file = `gen-${seed}-${Math.floor(i / 3)}.yaml`;
    out.push({ policy: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: `p${i}`, namespace }, spec }, setId: 'gen', file, docIndex: i % 3 });
  }
  return out;
}

const nph014 = (run: (policies: CompiledPolicy[], sink: FindingSink) => void, all: SourcedPolicy[], policies: CompiledPolicy[]): Finding[] => {
  const sink = new FindingSink(all);
  run(policies, sink);
  return sink.findings.filter((f) => f.rule === 'NPH014');
};

describe('policy engine: lint NPH014 (indexed) against the all-pairs oracle', () => {
  const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);

  it('reports the same findings, in the same order, on 40 generated policy sets', () => {
    const seen = { shadowed: 0, repeats: 0, duplicate: 0 };
    for (const seed of SEEDS) {
      const all = generate(seed, 20 + (seed % 4) * 15);
      const { policies } = compilePolicies(all);
      const expected = nph014(oracle, all, policies);
      const actual = nph014(checkPolicies, all, policies);
      expect(actual, `seed ${seed}`).to.deep.equal(expected);
      for (const f of expected) {
        if (/is shadowed by/.test(f.message)) seen.shadowed++;
        else if (/ repeats /.test(f.message)) seen.repeats++;
        else if (/has the same spec/.test(f.message)) seen.duplicate++;
      }
    }
    // The generated sets exercise every kind of finding, often (else the comparison proves little).
    expect(seen.shadowed, 'shadowed').to.be.greaterThan(500);
    expect(seen.repeats, 'repeats').to.be.greaterThan(50);
    expect(seen.duplicate, 'duplicate policies').to.be.greaterThan(40);
  });

  it('the index offers every rule that contains a rule, ascending and once, and usually far fewer than all', () => {
    let offered = 0;
    let pairs = 0;
    for (const seed of SEEDS.slice(0, 10)) {
      const rules = compilePolicies(generate(seed, 60)).policies.flatMap(effectiveRules);
      const index = new ContainmentIndex(rules);
      for (const b of rules) {
        const c = index.candidates(b);
        expect([...new Set(c)].sort((x, y) => x - y), `seed ${seed}`).to.deep.equal(c);
        const offeredSet = new Set(c);
        const containing = rules.flatMap((a, i) => (oldRuleContains(a, b) ? [i] : []));
        expect(containing.filter((i) => !offeredSet.has(i)), `seed ${seed}: rules containing ${b.direction}[${b.index}] left out`).to.deep.equal([]);
        // The fast containment test agrees with the original one.
        for (const i of c) expect(ruleContains(rules[i]!, b), `seed ${seed}`).to.equal(oldRuleContains(rules[i]!, b));
        offered += c.length;
        pairs += rules.length;
      }
    }
    expect(offered / pairs).to.be.lessThan(0.5);
  });
});
