// metav1.LabelSelector semantics, plus the wording used by explanations and lint findings.
import type { LabelSelector, LabelSelectorRequirement } from './types.js';

export type Labels = Readonly<Record<string, string>>;

/** A selector as one list of requirements: matchLabels become `In [value]`. */
export function requirements(sel: LabelSelector | null | undefined): LabelSelectorRequirement[] {
  if (!sel) return [];
  const out: LabelSelectorRequirement[] = [];
  for (const [key, value] of Object.entries(sel.matchLabels ?? {})) out.push({ key, operator: 'In', values: [value] });
  for (const r of sel.matchExpressions ?? []) out.push(r);
  return out;
}

export function requirementMatches(r: LabelSelectorRequirement, labels: Labels): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.operator) {
    case 'In':
      return has && (r.values ?? []).includes(labels[r.key]!);
    case 'NotIn':
      // Objects without the key match NotIn (metav1 semantics, e2e exercises it: N41).
      return !has || !(r.values ?? []).includes(labels[r.key]!);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/** `null`/missing/`{}` all select everything; callers decide when "missing" means "absent peer". */
export function selectorMatches(sel: LabelSelector | null | undefined, labels: Labels): boolean {
  if (!sel) return true;
  for (const [k, v] of Object.entries(sel.matchLabels ?? {})) if (labels[k] !== v || !Object.hasOwn(labels, k)) return false;
  for (const r of sel.matchExpressions ?? []) if (!requirementMatches(r, labels)) return false;
  return true;
}

export function isEmptySelector(sel: LabelSelector | null | undefined): boolean {
  return requirements(sel).length === 0;
}

export function describeRequirement(r: LabelSelectorRequirement): string {
  const vals = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return vals.length === 1 ? `${r.key}=${vals[0]}` : `${r.key} in (${vals.join(',')})`;
    case 'NotIn':
      return vals.length === 1 ? `${r.key}!=${vals[0]}` : `${r.key} notin (${vals.join(',')})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
    default:
      return `${r.key} ${String(r.operator)}`;
  }
}

/** `app=web,tier in (a,b)`; `{}` for the empty selector (selects everything). */
export function describeSelector(sel: LabelSelector | null | undefined): string {
  const reqs = requirements(sel);
  return reqs.length === 0 ? '{}' : reqs.map(describeRequirement).join(',');
}

export function describeLabels(labels: Labels): string {
  const e = Object.entries(labels);
  return e.length === 0 ? '{}' : `{${e.map(([k, v]) => `${k}: ${v}`).join(', ')}}`;
}

/** The requirements of `sel` that `labels` fail, described; empty when it matches. */
export function failingRequirements(sel: LabelSelector | null | undefined, labels: Labels): string[] {
  return requirements(sel)
    .filter((r) => !requirementMatches(r, labels))
    .map(describeRequirement);
}

/** A canonical string for a selector: equal strings select exactly the same objects. */
export function selectorKey(sel: LabelSelector | null | undefined): string {
  const reqs = requirements(sel).map((r) => `${r.key}\u0000${r.operator}\u0000${[...(r.values ?? [])].sort().join('\u0001')}`);
  return [...new Set(reqs)].sort().join('\u0002');
}
