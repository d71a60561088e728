// Silencing lint findings where they are intended: for a whole suite (`lint.disable`), for the
// policies of one policy file (`policies[i].lint.disable`), or on a policy itself with the annotation
// `netpol-harness.io/lint-disable: NPH001,NPH017`. Rules are named by id or by name.
import type { Issue } from '../../errors.js';
import type { LoadedSuite } from '../../suite/load.js';
import type { SourcedPolicy } from '../types.js';
import { RULE_REFS, ruleRefId, ruleRefProblem, type Finding, type RuleId } from './rules.js';

export const LINT_DISABLE_ANNOTATION = 'netpol-harness.io/lint-disable';

/** `NPH001` or `dns-going-dark` -> `NPH001`; unknown names are left out (they are rejected before: schema, annotationIssues). */
export function ruleIds(refs: readonly string[]): Set<RuleId> {
  const out = new Set<RuleId>();
  for (const raw of refs) {
    const id = ruleRefId(raw.trim());
    if (id !== undefined) out.add(id);
  }
  return out;
}

const annotationOf = (s: SourcedPolicy): unknown => (s.policy.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations?.[LINT_DISABLE_ANNOTATION];

/** Rules a policy's annotation silences; empty without the annotation. */
export function annotationDisables(s: SourcedPolicy): Set<RuleId> {
  const v = annotationOf(s);
  return typeof v === 'string' ? ruleIds(v.split(',')) : new Set();
}

/**
 * The annotation names rules by the suite's `lint.disable` rule (RULE_REFS: ids and names exactly
 * as lint prints them); anything else is an input error naming the file and field, as in the suite.
 */
export function annotationIssues(s: SourcedPolicy, prefix: string): Issue[] {
  const v = annotationOf(s);
  if (typeof v !== 'string') return [];
  const path = `${prefix}metadata.annotations.${LINT_DISABLE_ANNOTATION}`;
  const line = (s.keyLineOf ?? s.lineOf)?.('metadata.annotations');
  const at = { file: s.file, path, ...(line !== undefined ? { line } : {}) };
  // Commas separate the names; an empty entry (a trailing comma) names nothing and is passed over.
  const refs = v.split(',').map((r) => r.trim()).filter((r) => r !== '');
  if (refs.length === 0) return [{ ...at, message: `names no rule: list rule ids or names separated by commas (e.g. ${RULE_REFS[6]},${RULE_REFS[0]})` }];
  return refs.flatMap((r) => {
    const problem = ruleRefProblem(r);
    return problem === undefined ? [] : [{ ...at, message: problem }];
  });
}

const policyKey = (file: string, ref: string): string => `${file}|${ref}`;

export interface Suppressor {
  (f: Finding): boolean;
}

/** Decides, per finding, whether the suite or the policy silences it. */
export function suppressor(all: readonly SourcedPolicy[], loaded?: LoadedSuite): Suppressor {
  const suiteWide = ruleIds(loaded?.suite.lint?.disable ?? []);
  const perSet = new Map((loaded?.suite.policies ?? []).map((p) => [p.id, ruleIds(p.lint?.disable ?? [])]));
  const perFile = new Map<string, Set<RuleId>>();
  const perPolicy = new Map<string, Set<RuleId>>();
  for (const s of all) {
    const fromSet = perSet.get(s.setId);
    if (fromSet && fromSet.size > 0) perFile.set(s.file, fromSet);
    const own = annotationDisables(s);
    if (own.size > 0) perPolicy.set(policyKey(s.file, `${s.policy.metadata?.namespace ?? 'default'}/${s.policy.metadata?.name ?? ''}`), own);
  }
  return (f) =>
    suiteWide.has(f.rule) ||
    (perFile.get(f.file)?.has(f.rule) ?? false) ||
    (f.policy !== undefined && (perPolicy.get(policyKey(f.file, f.policy))?.has(f.rule) ?? false));
}
