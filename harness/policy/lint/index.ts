// Lint entry points: plain NetworkPolicy documents, or a whole suite (which adds the checks that
// need workloads and steps). Pure: file reading is in load.ts.
import type { LoadedSuite } from '../../suite/load.js';
import { compilePolicies } from '../compile.js';
import { DEFAULT_PROFILE, type CniProfile } from '../profiles.js';
import { profileForSuite } from '../simulate.js';
import type { SourcedPolicy } from '../types.js';
import { validateNetworkPolicy } from '../validate.js';
import { FindingSink } from './context.js';
import { checkDnsWithoutSuite } from './dns.js';
import { checkPolicies } from './policy-checks.js';
import { RULES, type Finding, type Severity } from './rules.js';
import { checkSuite } from './suite-checks.js';
import { annotationIssues, suppressor } from './suppress.js';
import { InputError } from '../../errors.js';
import { checkClusterSuite, checkPassRules, checkSamePriority, clusterValidity } from './cluster-checks.js';
import type { SourcedClusterPolicy } from '../cnp/types.js';

export { RULES, type Finding, type RuleId, type Severity, type LintRule } from './rules.js';
export { LINT_DISABLE_ANNOTATION } from './suppress.js';

export interface LintResult {
  findings: Finding[];
  counts: Record<Severity, number>;
  /** Policy documents linted. */
  policies: number;
  files: string[];
  /** Findings silenced by the suite (`lint.disable`) or a policy annotation; not in `findings` or `counts`. */
  suppressed: number;
  /** YAML files of a linted directory that are not Kubernetes YAML (templates, unrelated files), and why. */
  skipped?: { file: string; reason: string }[];
}

function validity(all: SourcedPolicy[], sink: FindingSink, mode: 'suite' | 'files'): void {
  const { rejected } = compilePolicies(all);
  for (const s of all) {
    let issues = validateNetworkPolicy(s, { pathPrefix: sink.prefix(s) });
    // A loose policy file without a namespace is applied with `kubectl apply -n` (or to default): not an error.
    if (mode === 'files') issues = issues.filter((i) => !(i.path.endsWith('metadata.namespace') && /is required/.test(i.message)));
    for (const i of issues) {
      const severity = i.severity === 'warning' ? 'warning' : 'error';
      sink.findings.push({
        rule: 'NPH018',
        severity,
        file: i.file,
        path: i.path,
        ...(i.line !== undefined ? { line: i.line } : {}),
        policy: `${s.policy.metadata?.namespace ?? 'default'}/${s.policy.metadata?.name ?? ''}`,
        message: i.message,
        fix: severity === 'error' ? 'kubectl apply rejects this policy: correct the field (netpol-harness validate lists every problem)' : 'accepted by the API server, but check it is what you meant',
      });
    }
    // The engine's own structural checks, in case the validator accepted something it cannot evaluate.
    const mine = rejected.find((r) => r.source === s);
    if (mine && !issues.some((i) => i.severity !== 'warning')) {
      for (const p of mine.problems) sink.add('NPH018', s, p.path, `${p.message} (the API server rejects this)`, 'correct the field');
    }
  }
}

/** A rule the lint-disable annotation names must exist, as in the suite's lint.disable: else bad input (exit 2). */
function checkAnnotations(all: SourcedPolicy[], sink: FindingSink): void {
  const issues = all.flatMap((s) => annotationIssues(s, sink.prefix(s)));
  if (issues.length > 0) throw new InputError(issues);
}

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function finish(sink: FindingSink, all: SourcedPolicy[], fileOrder: string[], loaded?: LoadedSuite): LintResult {
  const order = new Map(fileOrder.map((f, i) => [f, i]));
  const seen = new Set<string>();
  const silenced = suppressor(all, loaded);
  let suppressed = 0;
  const findings = sink.findings
    .filter((f) => {
      const k = `${f.rule}|${f.file}|${f.path}|${f.message}`;
      if (seen.has(k)) return false;
      seen.add(k);
      if (!silenced(f)) return true;
      suppressed++;
      return false;
    })
    .map((f, i) => ({ f, i }))
    .sort((a, b) => (order.get(a.f.file) ?? 1e9) - (order.get(b.f.file) ?? 1e9) || (a.f.line ?? 0) - (b.f.line ?? 0) || ORDER[a.f.severity] - ORDER[b.f.severity] || a.i - b.i)
    .map((x) => x.f);
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return { findings, counts, policies: all.length, files: fileOrder, suppressed };
}

/** Cluster policy checks that need no workloads: validity and Pass rules with nothing after them. */
function lintCluster(all: SourcedPolicy[], cluster: SourcedClusterPolicy[], sink: FindingSink): void {
  if (cluster.length === 0) return;
  const docs = new Map<string, number>();
  for (const s of [...all, ...cluster]) docs.set(s.file, (docs.get(s.file) ?? 0) + 1);
  const prefix = (s: SourcedClusterPolicy): string => ((docs.get(s.file) ?? 1) > 1 ? `[doc ${s.docIndex}] ` : '');
  sink.findings.push(...clusterValidity(cluster, prefix));
  const { policies } = compilePolicies(all);
  sink.findings.push(...checkPassRules(cluster, (d) => policies.some((p) => p.types[d]), prefix));
  sink.findings.push(...checkSamePriority(cluster, prefix));
}

/** Lints NetworkPolicy (and ClusterNetworkPolicy) documents on their own (no workloads known). */
export function lintPolicies(all: SourcedPolicy[], cluster: SourcedClusterPolicy[] = []): LintResult {
  const sink = new FindingSink(all);
  checkAnnotations(all, sink);
  validity(all, sink, 'files');
  const { policies } = compilePolicies(all);
  checkPolicies(policies, sink);
  checkDnsWithoutSuite(policies, sink);
  lintCluster(all, cluster, sink);
  const r = finish(sink, all, [...new Set([...all, ...cluster].map((p) => p.file))]);
  return { ...r, policies: r.policies + cluster.length };
}

/** Lints a suite: every policy file it lists, plus checks against its workloads at every step. */
export function lintSuite(loaded: LoadedSuite, opts: { profile?: CniProfile } = {}): LintResult {
  const all = [...loaded.policies.values()].flat();
  const sink = new FindingSink(all);
  checkAnnotations(all, sink);
  validity(all, sink, 'suite');
  const { policies } = compilePolicies(all);
  checkPolicies(policies, sink);
  const profile = opts.profile ?? profileForSuite(loaded) ?? DEFAULT_PROFILE;
  checkSuite(loaded, profile, sink);
  const cluster = [...(loaded.clusterPolicies?.values() ?? [])].flat();
  lintCluster(all, cluster, sink);
  if (cluster.length > 0) {
    const docs = new Map<string, number>();
    for (const s of [...all, ...cluster]) docs.set(s.file, (docs.get(s.file) ?? 0) + 1);
    sink.findings.push(...checkClusterSuite(loaded, profile, (s) => ((docs.get(s.file) ?? 1) > 1 ? `[doc ${s.docIndex}] ` : '')));
  }
  const r = finish(sink, all, [loaded.file, ...new Set([...all, ...cluster].map((p) => p.file))], loaded);
  return { ...r, policies: r.policies + cluster.length };
}

export function ruleTable(): string {
  return Object.values(RULES)
    .map((r) => `${r.id} ${r.severity.padEnd(7)} ${r.name}: ${r.summary}${'suiteOnly' in r ? ' (suites only)' : ''}`)
    .join('\n');
}
