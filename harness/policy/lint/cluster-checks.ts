// Lint checks for ClusterNetworkPolicies (Admin and Baseline tiers) against the suite's
// NetworkPolicies: Admin rules that override a namespace owner's decision either way, a Baseline
// deny that takes DNS away, and Pass rules that hand the decision to nothing.
import type { Issue } from '../../errors.js';
import type { LoadedSuite } from '../../suite/load.js';
import { compileCnp, type CompiledCnp, type CompiledCnpRule } from '../cnp/compile.js';
import type { TierRuleMatch } from '../cnp/tier.js';
import type { SourcedClusterPolicy } from '../cnp/types.js';
import { validateClusterNetworkPolicy } from '../cnp/validate.js';
import type { Direction } from '../compile.js';
import { evaluateDirection, evaluateIn, networkPolicyDirection } from '../evaluate.js';
import type { CniProfile } from '../profiles.js';
import { DNS_PORT } from '../simulate.js';
import { connKey } from '../../matrix/axes.js';
import { asExpected, SuiteExpectations, type ConsequenceCell } from './expected.js';
import { RULES, type Finding, type RuleId } from './rules.js';
import { stepWorlds } from './suite-checks.js';

function finding(rule: RuleId, s: SourcedClusterPolicy, path: string, message: string, fix: string, prefix: string): Finding {
  const line = (s.keyLineOf ?? s.lineOf)?.(path);
  return { rule, severity: RULES[rule].severity, file: s.file, path: prefix + path, ...(line !== undefined ? { line } : {}), policy: `ClusterNetworkPolicy/${s.policy.metadata?.name ?? ''}`, message, fix };
}

/** NPH018 for cluster policies the API server would reject (or warns about). */
export function clusterValidity(all: SourcedClusterPolicy[], prefix: (s: SourcedClusterPolicy) => string): Finding[] {
  return all.flatMap((s) =>
    validateClusterNetworkPolicy(s, { pathPrefix: prefix(s) }).map((i: Issue): Finding => {
      const severity = i.severity === 'warning' ? 'warning' : 'error';
      return {
        rule: 'NPH018',
        severity,
        file: i.file,
        path: i.path,
        ...(i.line !== undefined ? { line: i.line } : {}),
        policy: `ClusterNetworkPolicy/${s.policy.metadata?.name ?? ''}`,
        message: i.message,
        fix: severity === 'error' ? 'kubectl apply rejects this policy: correct the field (netpol-harness validate lists every problem)' : 'accepted by the API server, but check it is what you meant',
      };
    }),
  );
}

interface Group {
  source: SourcedClusterPolicy;
  path: string;
  steps: Set<string>;
  examples: string[];
  other: Set<string>;
  /** Every cell the group is about, to see whether the suite expects them on purpose. */
  cells: ConsequenceCell[];
}

const rulePathOf = (m: TierRuleMatch): string => `spec.${m.direction}[${m.rule}]`;

/** The tier checks by simulation at every step (cluster policies read as a CNI that implements them would). */
export function checkClusterSuite(loaded: LoadedSuite, profile: CniProfile, prefix: (s: SourcedClusterPolicy) => string): Finding[] {
  const all = [...(loaded.clusterPolicies?.values() ?? [])].flat();
  if (all.length === 0) return [];
  const bySource = new Map<string, SourcedClusterPolicy>(all.map((s) => [`ClusterNetworkPolicy/${s.policy.metadata?.name ?? ''}`, s]));
  const groups = new Map<string, Group & { rule: RuleId }>();
  const note = (rule: RuleId, m: TierRuleMatch, step: string, example: string, other: string, cell: ConsequenceCell): void => {
    const source = bySource.get(m.policy);
    if (!source) return;
    const key = `${rule}|${m.policy}|${m.direction}|${m.rule}`;
    const g = groups.get(key) ?? { rule, source, path: rulePathOf(m), steps: new Set<string>(), examples: [], other: new Set<string>(), cells: [] };
    g.steps.add(step);
    g.cells.push(cell);
    if (g.examples.length < 3 && !g.examples.includes(example)) g.examples.push(example);
    if (other) g.other.add(other);
    groups.set(key, g);
  };
  for (const st of stepWorlds(loaded, { ...profile, clusterNetworkPolicy: 'v1alpha2' })) {
    if (st.world.cnp.admin.length + st.world.cnp.baseline.length === 0) continue;
    for (const src of st.sources) {
      for (const dst of st.pods) {
        if (src.id === dst.id) continue;
        for (const cp of dst.pod?.ports ?? []) {
          for (const direction of ['egress', 'ingress'] as const) {
            const d = evaluateDirection(st.world, direction, src, dst, cp.protocol, cp.port);
            if (d.tier !== 'Admin' || !d.decidedBy) continue;
            const np = networkPolicyDirection(st.world, direction, src, dst, cp.protocol, cp.port);
            const col = connKey(dst.id, cp.port, cp.protocol);
            const example = `${src.id} -> ${col}`;
            if (d.decidedBy.action === 'Deny' && np.reason === 'rule') note('NPH019', d.decidedBy, st.name, example, np.allowedBy[0]!.ref, { step: st.index, src: src.id, col, verdict: 'deny' });
            if (d.decidedBy.action === 'Accept' && np.reason === 'no-rule') note('NPH020', d.decidedBy, st.name, example, np.isolatedBy.join(', '), { step: st.index, src: src.id, col, verdict: 'allow' });
          }
        }
      }
      // DNS: denied for this source, at the Baseline tier, on its way out.
      const dns = st.dnsPods.map((d) => evaluateIn(st.world, { from: src.id, to: d, ...DNS_PORT }));
      if (dns.length > 0 && dns.every((r) => r.verdict !== 'allow')) {
        const e = dns[0]!.egress;
        if (e?.tier === 'Baseline' && e.decidedBy?.action === 'Deny') note('NPH021', e.decidedBy, st.name, src.id, '', { step: st.index, src: src.id, col: 'dns', verdict: 'deny' });
      }
    }
  }
  const out: Finding[] = [];
  const expected = new SuiteExpectations(loaded);
  for (const g of groups.values()) {
    const at = out.length;
    const steps = [...g.steps].join(', ');
    const ex = g.examples.join('; ');
    const other = [...g.other].join(', ');
    if (g.rule === 'NPH019')
      out.push(finding('NPH019', g.source, g.path, `at step ${steps}: this Admin Deny drops traffic the NetworkPolicy rule ${other} allows (e.g. ${ex}): the namespace owner's allow can never take effect`, 'if the owner should decide, use Pass instead of Deny for that traffic; otherwise tell the owner (or remove the dead allow)', prefix(g.source)));
    else if (g.rule === 'NPH020')
      out.push(finding('NPH020', g.source, g.path, `at step ${steps}: this Admin Accept opens traffic that ${other} denies (e.g. ${ex}): the namespace owner cannot close it`, 'narrow the Accept (peers, protocols) to what must always work, or use Pass to let NetworkPolicies decide', prefix(g.source)));
    else
      out.push(finding('NPH021', g.source, g.path, `at step ${steps}: this Baseline Deny blocks DNS (53/UDP to CoreDNS) for ${ex}${g.examples.length >= 3 ? ' and others' : ''}, and no Admin Accept or NetworkPolicy allows it: name resolution fails ("going dark")`, 'add an Admin-tier Accept (or an earlier Baseline Accept) for egress to CoreDNS on 53/UDP and 53/TCP', prefix(g.source)));
    out[at] = asExpected(out[at]!, expected.statedBy(g.cells));
  }
  return out;
}

/**
 * NPH023: equal priorities in one tier. Which policy's rules come first is then up to the
 * implementation (the harness orders them by name); a Deny and an Accept for the same traffic may
 * resolve either way on different CNIs.
 */
export function checkSamePriority(all: SourcedClusterPolicy[], prefix: (s: SourcedClusterPolicy) => string): Finding[] {
  const compiled = all.map(compileCnp).filter((c): c is CompiledCnp => !('problems' in c));
  const out: Finding[] = [];
  for (const [i, a] of compiled.entries()) {
    for (const b of compiled.slice(i + 1)) {
      if (a.tier !== b.tier || a.priority !== b.priority || a.name === b.name) continue;
      const dirs = (['ingress', 'egress'] as const).filter((d) => a[d].length > 0 && b[d].length > 0);
      if (dirs.length === 0) continue;
      out.push(
        finding('NPH023', b.source, 'spec.priority', `${a.tier} priority ${a.priority} is also the priority of ${a.ref} (${a.source.file}), and both have ${dirs.join(' and ')} rules: which one is evaluated first is implementation-defined (the harness assumes name order)`, 'give each cluster policy of a tier its own priority', prefix(b.source)),
      );
    }
  }
  return out;
}

/**
 * NPH022: a Pass rule with nothing after it. An Admin Pass needs a NetworkPolicy or a Baseline rule
 * to hand over to; a Baseline Pass needs a later Baseline rule for it to skip.
 */
export function checkPassRules(all: SourcedClusterPolicy[], hasNetworkPolicy: (direction: Direction) => boolean, prefix: (s: SourcedClusterPolicy) => string): Finding[] {
  const compiled = all.map(compileCnp).filter((c): c is CompiledCnp => !('problems' in c));
  const tier = (t: 'Admin' | 'Baseline'): CompiledCnp[] => compiled.filter((c) => c.tier === t).sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  const admin = tier('Admin');
  const baseline = tier('Baseline');
  const out: Finding[] = [];
  const laterInTier = (list: CompiledCnp[], p: CompiledCnp, r: CompiledCnpRule): boolean =>
    p[r.direction].length > r.index + 1 || list.slice(list.indexOf(p) + 1).some((q) => q[r.direction].length > 0);
  for (const [list, isAdmin] of [
    [admin, true],
    [baseline, false],
  ] as const) {
    for (const p of list) {
      for (const r of [...p.ingress, ...p.egress]) {
        if (r.action !== 'Pass') continue;
        const after = isAdmin ? laterInTier(list, p, r) || hasNetworkPolicy(r.direction) || baseline.some((q) => q[r.direction].length > 0) : laterInTier(list, p, r);
        if (after) continue;
        const where = isAdmin ? `no later Admin rule, no NetworkPolicy with ${r.direction === 'ingress' ? 'Ingress' : 'Egress'} and no Baseline ${r.direction} rule` : `no later Baseline ${r.direction} rule`;
        out.push(
          finding('NPH022', p.source, `spec.${r.direction}[${r.index}]`, `Pass rule ${r.index}${r.name ? ` "${r.name}"` : ''} hands the decision on, but ${where} exists: the traffic is simply allowed by default`, 'use Accept if it should be allowed whatever comes later, or add the rules the Pass is meant to reach', prefix(p.source)),
        );
      }
    }
  }
  return out;
}
