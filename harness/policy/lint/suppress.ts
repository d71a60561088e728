// Silencing lint findings where they are intended: for a whole suite (`lint.disable`), for the
// policies of one policy file (`policies[i].lint.disable`), or on a policy itself with the annotation
// `netpol-harness.io/lint-disable: NPH001,NPH017`. Rules are named by id or by name.
import type { LoadedSuite } from '../../suite/load.js';
import type { SourcedPolicy } from '../types.js';
import { RULES, type Finding, type RuleId } from './rules.js';

export const LINT_DISABLE_ANNOTATION = 'netpol-harness.io/lint-disable';

const BY_NAME = new Map<string, RuleId>(Object.values(RULES).map((r) => [r.name, r.id]));

/** `NPH001` or `dns-going-dark` -> `NPH001`; unknown names are left out (the suite schema rejects them). */
export function ruleIds(refs: readonly string[]): Set<RuleId> {
  const out = new Set<RuleId>();
  for (const raw of refs) {
    const ref = raw.trim();
    if (Object.hasOwn(RULES, ref)) out.add(ref as RuleId);
    else if (BY_NAME.has(ref)) out.add(BY_NAME.get(ref)!);
  }
  return out;
}

/** Rules a policy's annotation silences; empty without the annotation. */
export function annotationDisables(s: SourcedPolicy): Set<RuleId> {
  const v = (s.policy.metadata as { annotations?: Record<string, unknown> } | undefined)?.annotations?.[LINT_DISABLE_ANNOTATION];
  return typeof v === 'string' ? ruleIds(v.split(',')) : new Set();
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
