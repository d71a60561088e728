// Delta debugging over a policy set: remove one element at a time (a policy, a rule, a peer, a
// port, an except entry, a selector term, a value of In/NotIn, a policyTypes entry, one half of a
// peer's pod + namespace selector) and keep the removal whenever `keep` still holds, until no
// single removal does (a 1-minimal set). Every accepted candidate is recorded, so a caller that
// confirms on a cluster can fall back along the chain. Pure.
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from '../../policy/types.js';

type Rule = { from?: NetworkPolicyPeer[]; to?: NetworkPolicyPeer[]; ports?: NetworkPolicyPort[] };

/** How big a set is: policies, rules, peers, ports, selector terms and values, except entries, policy types. */
export function setSize(policies: NetworkPolicy[]): number {
  const sel = (s: LabelSelector | null | undefined) =>
    s ? Object.keys(s.matchLabels ?? {}).length + (s.matchExpressions ?? []).reduce((n, e) => n + 1 + Math.max(0, (e.values?.length ?? 0) - 1), 0) : 0;
  const peer = (p: NetworkPolicyPeer) => 1 + sel(p.podSelector) + sel(p.namespaceSelector) + (p.ipBlock?.except?.length ?? 0);
  const rule = (r: Rule) => 1 + [...(r.from ?? []), ...(r.to ?? [])].reduce((n, p) => n + peer(p), 0) + (r.ports?.length ?? 0);
  return policies.reduce(
    (n, p) => n + 1 + sel(p.spec.podSelector) + (p.spec.policyTypes?.length ?? 0) + [...(p.spec.ingress ?? []), ...(p.spec.egress ?? [])].reduce((m, r) => m + rule(r), 0),
    0,
  );
}

/** Candidates for a selector with one term (or one In/NotIn value) less. */
function smallerSelectors(s: LabelSelector): LabelSelector[] {
  const out: LabelSelector[] = [];
  const tidy = (x: LabelSelector): LabelSelector => {
    const r: LabelSelector = {};
    if (x.matchLabels && Object.keys(x.matchLabels).length > 0) r.matchLabels = x.matchLabels;
    if (x.matchExpressions && x.matchExpressions.length > 0) r.matchExpressions = x.matchExpressions;
    return r;
  };
  for (const k of Object.keys(s.matchLabels ?? {})) {
    const { [k]: _gone, ...rest } = s.matchLabels!;
    out.push(tidy({ ...s, matchLabels: rest }));
  }
  const exprs = s.matchExpressions ?? [];
  exprs.forEach((e, i) => {
    out.push(tidy({ ...s, matchExpressions: exprs.filter((_, j) => j !== i) }));
    if (e.values && e.values.length > 1) for (const v of e.values) out.push(tidy({ ...s, matchExpressions: exprs.map((x, j) => (j === i ? { ...x, values: e.values!.filter((w) => w !== v) } : x)) }));
  });
  return out;
}

function smallerPeers(p: NetworkPolicyPeer): NetworkPolicyPeer[] {
  const out: NetworkPolicyPeer[] = [];
  if (p.podSelector && p.namespaceSelector) {
    out.push({ podSelector: p.podSelector }, { namespaceSelector: p.namespaceSelector });
  }
  if (p.podSelector) for (const s of smallerSelectors(p.podSelector)) out.push({ ...p, podSelector: s });
  if (p.namespaceSelector) for (const s of smallerSelectors(p.namespaceSelector)) out.push({ ...p, namespaceSelector: s });
  const ex = p.ipBlock?.except ?? [];
  ex.forEach((_, i) => {
    const except = ex.filter((__, j) => j !== i);
    out.push({ ipBlock: { cidr: p.ipBlock!.cidr, ...(except.length > 0 ? { except } : {}) } });
  });
  return out;
}

/** A list without item i, or each item replaced by a smaller one. */
function listVariants<T>(items: T[], smaller: (t: T) => T[]): T[][] {
  const out: T[][] = [];
  items.forEach((_, i) => out.push(items.filter((__, j) => j !== i)));
  items.forEach((t, i) => {
    for (const s of smaller(t)) out.push(items.map((x, j) => (j === i ? s : x)));
  });
  return out;
}

function smallerRules(r: Rule, key: 'from' | 'to'): Rule[] {
  const out: Rule[] = [];
  const peers = r[key];
  // An empty peer or port list means "all", as a missing one does: drop the key instead.
  if (peers) for (const v of listVariants(peers, smallerPeers)) out.push(withList(r, key, v));
  if (r.ports) for (const v of listVariants(r.ports, () => [])) out.push(withList(r, 'ports', v));
  return out;
}

function withList<K extends 'from' | 'to' | 'ports'>(r: Rule, key: K, v: NonNullable<Rule[K]>): Rule {
  const { [key]: _old, ...rest } = r;
  return v.length > 0 ? { ...rest, [key]: v } : rest;
}

function smallerPolicies(p: NetworkPolicy): NetworkPolicy[] {
  const out: NetworkPolicy[] = [];
  const spec = p.spec;
  const at = (s: typeof spec): NetworkPolicy => ({ ...p, spec: s });
  for (const dir of ['ingress', 'egress'] as const) {
    const rules = spec[dir];
    if (!rules) continue;
    for (const v of listVariants(rules as Rule[], (r) => smallerRules(r, dir === 'ingress' ? 'from' : 'to'))) {
      const { [dir]: _old, ...rest } = spec;
      out.push(at(v.length > 0 ? { ...rest, [dir]: v } : rest));
    }
  }
  if (spec.podSelector) for (const s of smallerSelectors(spec.podSelector)) out.push(at({ ...spec, podSelector: s }));
  const types = spec.policyTypes ?? [];
  if (types.length > 1) for (const t of types) out.push(at({ ...spec, policyTypes: types.filter((x) => x !== t) }));
  return out;
}

/** Every set with exactly one element less, coarse removals first. */
export function reductions(policies: NetworkPolicy[]): NetworkPolicy[][] {
  return listVariants(policies, smallerPolicies);
}

export interface ShrinkResult {
  /** The accepted candidates in order: chain[0] is the input, the last one is 1-minimal. */
  chain: NetworkPolicy[][];
  /** `keep` calls made. */
  tries: number;
}

/**
 * Greedy delta debugging: walk the one-smaller candidates, take the first that keeps the property,
 * start over from it; stop when none does or after `maxTries` calls of `keep`.
 */
export function shrink(policies: NetworkPolicy[], keep: (candidate: NetworkPolicy[]) => boolean, maxTries = 5000): ShrinkResult {
  const chain = [structuredClone(policies)];
  let tries = 0;
  let current = chain[0]!;
  for (;;) {
    let next: NetworkPolicy[] | undefined;
    for (const c of reductions(current)) {
      if (tries >= maxTries) break;
      tries++;
      if (keep(c)) {
        next = c;
        break;
      }
    }
    if (!next) return { chain, tries };
    current = structuredClone(next);
    chain.push(current);
  }
}

export interface Confirmed {
  /** Index into the chain of the smallest candidate confirmed (0: the input, which was observed). */
  index: number;
  /** Candidates run to confirm: chain index and whether the deviation persisted. */
  runs: { index: number; reproduced: boolean }[];
}

/**
 * Confirms the shrunk end of the chain with `confirm` (a run on the cluster); if it does not
 * reproduce, bisects the chain towards the input, which is known to reproduce (it was observed),
 * with at most `maxRuns` confirm runs in all.
 */
export async function confirmAlongChain(chainLength: number, confirm: (index: number) => Promise<boolean>, maxRuns: number): Promise<Confirmed> {
  const runs: Confirmed['runs'] = [];
  let good = 0;
  let bad = chainLength;
  let probe = chainLength - 1;
  while (probe > good && probe < bad && runs.length < maxRuns) {
    const reproduced = await confirm(probe);
    runs.push({ index: probe, reproduced });
    if (reproduced) good = probe;
    else bad = probe;
    probe = Math.floor((good + bad) / 2);
  }
  return { index: good, runs };
}
