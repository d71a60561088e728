// `validate`: everything that can be wrong with a suite before any cluster exists.
// loadSuite checks YAML syntax and the schema; then cross-references (references.ts), every
// policy document as the API server would (policy/validate.ts), and how policy documents fit
// the suite (their namespaces, duplicate names). Pure apart from reading the files.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError, type Issue } from '../errors.js';
import { buildAxes, dnsNames, isSelfCell } from '../matrix/axes.js';
import { annotationIssues } from '../policy/lint/suppress.js';
import { validateNetworkPolicy } from '../policy/validate.js';
import { didYouMean } from './hints.js';
import { loadSuite, type LoadedSuite } from './load.js';
import { policyObjectKey } from './ownership.js';
import { checkReferences } from './references.js';
import { checkClusterPolicies } from './cluster-policies.js';

export interface SuiteValidation {
  /** The loaded suite, when its syntax and schema are valid (even if later checks failed). */
  loaded?: LoadedSuite;
  /** Errors and warnings (severity 'warning'): the suite file first, then policy files, by line. */
  issues: Issue[];
  /** No issue is an error. */
  ok: boolean;
}

export const isError = (i: Issue): boolean => i.severity !== 'warning';

/** How policy documents fit the suite: declared namespaces, one name per policy, files not empty. */
export function checkPolicies(loaded: LoadedSuite): Issue[] {
  const { suite } = loaded;
  const issues: Issue[] = [];
  const inSuite = (p: string, message: string): void => {
    const line = loaded.lineOf(p);
    issues.push({ file: loaded.file, path: p, ...(line !== undefined ? { line } : {}), message });
  };
  const declared = suite.namespaces.map((n) => n.name);
  const owners = new Map<string, { setId: string; file: string; where: string; doc: string }[]>();
  const seenIds = new Set<string>();
  suite.policies.forEach((ref, i) => {
    // A duplicate id is reported by the reference checks; its documents are not checked twice.
    if (seenIds.has(ref.id)) return;
    seenIds.add(ref.id);
    const docs = loaded.policies.get(ref.id) ?? [];
    if (docs.length === 0 && loaded.policies.has(ref.id) && !loaded.clusterPolicies?.has(ref.id)) {
      inSuite(`policies[${i}].file`, `"${ref.file}" holds no NetworkPolicy or ClusterNetworkPolicy document`);
      return;
    }
    for (const d of docs) {
      const prefix = docs.length > 1 ? `[doc ${d.docIndex}] ` : '';
      const found = validateNetworkPolicy(d, { pathPrefix: prefix });
      issues.push(...found, ...annotationIssues(d, prefix));
      const meta: unknown = d.policy.metadata;
      if (typeof meta !== 'object' || meta === null) continue;
      const ns = typeof d.policy.metadata.namespace === 'string' ? d.policy.metadata.namespace : '';
      const name = typeof d.policy.metadata.name === 'string' ? d.policy.metadata.name : '';
      const inDoc = (p: string, message: string): void => {
        const line = (d.keyLineOf ?? d.lineOf)?.(p);
        issues.push({ file: d.file, path: prefix + p, ...(line !== undefined ? { line } : {}), message });
      };
      // load.ts fills a missing namespace from the suite entry, so a different value was written in the document.
      if (ref.namespace !== undefined && ns !== ref.namespace) {
        inDoc('metadata.namespace', `"${ns}" differs from the suite's policies[${i}].namespace "${ref.namespace}": kubectl apply -n ${ref.namespace} would reject it; remove one of them`);
        continue;
      }
      // A namespace that came from the suite entry is reported there, by the reference checks.
      if (ns !== '' && ns !== ref.namespace && !declared.includes(ns)) {
        inDoc('metadata.namespace', `namespace "${ns}" is not declared in the suite's namespaces${didYouMean(ns, declared)}: the harness applies policies only in namespaces the suite declares (one that already exists, such as default, with existing: true)`);
      }
      if (ns === '' || name === '') continue;
      const key = policyObjectKey(d.policy) ?? `${ns}/${name}`;
      const shown = `${ns}/${name}`;
      const here = `${d.file}${prefix ? ` ${prefix.trim()}` : ''}`;
      const earlier = owners.get(key) ?? [];
      const same = earlier.find((o) => o.setId === ref.id);
      if (same) {
        inDoc('metadata.name', `duplicate NetworkPolicy ${shown} (also ${same.file === d.file ? `${same.doc || 'earlier'} in this file` : same.where}): the second would replace the first; rename one`);
        continue;
      }
      // Two sets may define the same object: applying one while the other holds it replaces it in
      // place (ownership.ts). Only applying both in one step is ambiguous.
      for (const o of earlier) {
        const step = suite.steps.findIndex((s) => s.apply.includes(o.setId) && s.apply.includes(ref.id));
        if (step !== -1)
          inDoc('metadata.name', `NetworkPolicy ${shown} is also defined by policy set "${o.setId}" (${o.where}), and step "${suite.steps[step]!.name}" applies both: which spec wins is ambiguous; apply them in different steps (the later one replaces the object in place) or rename one`);
      }
      earlier.push({ setId: ref.id, file: d.file, where: here, doc: prefix.trim() });
      owners.set(key, earlier);
    }
  });
  return issues;
}

/** All checks after loading; pure. */
export function validateLoaded(loaded: LoadedSuite): Issue[] {
  const issues = [...checkReferences(loaded), ...checkPolicies(loaded), ...checkClusterPolicies(loaded)];
  // Suite file first, then policy files in the order the suite lists them; by line within a file.
  const order = new Map<string, number>([[loaded.file, 0]]);
  for (const docs of loaded.policies.values()) for (const d of docs) if (!order.has(d.file)) order.set(d.file, order.size);
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (order.get(a.issue.file) ?? 99) - (order.get(b.issue.file) ?? 99) || (a.issue.line ?? 0) - (b.issue.line ?? 0) || a.i - b.i)
    .map((x) => x.issue);
}

/** After the first YAML syntax error of a file the parser's further errors are mostly its consequences. */
function firstSyntaxErrorPerFile(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    if (!i.message.startsWith('YAML syntax error')) return true;
    if (seen.has(i.file)) return false;
    seen.add(i.file);
    return true;
  });
}

/** A directory stands for its suite.yaml, so `validate suites/zero-trust` works. */
async function resolveSuiteFile(file: string): Promise<string> {
  try {
    if ((await stat(file)).isDirectory()) return path.join(file, 'suite.yaml');
  } catch {
    // Missing paths are reported by loadSuite with the path the user gave.
  }
  return file;
}

/** Loads and fully validates a suite. Never throws for bad input: every problem is an issue. */
export async function validateSuite(file: string): Promise<SuiteValidation> {
  let loaded: LoadedSuite;
  try {
    loaded = await loadSuite(await resolveSuiteFile(file));
  } catch (e) {
    if (e instanceof InputError) return { issues: firstSyntaxErrorPerFile(e.issues), ok: false };
    throw e;
  }
  const issues = validateLoaded(loaded);
  return { loaded, issues, ok: !issues.some(isError) };
}

/** For commands that need a valid suite: returns it with its warnings, or throws InputError listing the errors. */
export async function loadValidSuite(file: string): Promise<{ loaded: LoadedSuite; warnings: Issue[] }> {
  const v = await validateSuite(file);
  if (!v.ok || !v.loaded) throw new InputError(v.issues.filter(isError));
  return { loaded: v.loaded, warnings: v.issues.filter((i) => !isError(i)) };
}

export interface SuiteSummary {
  namespaces: number;
  workloads: number;
  existingWorkloads: number;
  probes: number;
  externals: number;
  policySets: number;
  policies: number;
  /** ClusterNetworkPolicy documents, when the suite has any. */
  clusterPolicies?: number;
  steps: number;
  sources: number;
  connectionColumns: number;
  dnsColumns: number;
  /** Probed cells per step (sources x columns, self cells excluded). */
  cells: number;
  /** The names each source resolves in the DNS columns. */
  dnsNames: string[];
  /** True when `probe.dnsNames` is omitted and the harness adds one check: the first deployed workload's Service name. */
  implicitDnsCheck: boolean;
}

export function summarize(loaded: LoadedSuite): SuiteSummary {
  const { suite } = loaded;
  const axes = buildAxes(suite);
  let cells = 0;
  for (const s of axes.sources) for (const c of axes.columns) if (!isSelfCell(s, c)) cells++;
  return {
    namespaces: suite.namespaces.length,
    workloads: suite.workloads.length,
    existingWorkloads: suite.workloads.filter((w) => w.existing).length,
    probes: suite.probes.length,
    externals: suite.externals.length,
    policySets: suite.policies.length,
    policies: [...loaded.policies.values()].reduce((n, l) => n + l.length, 0),
    ...(loaded.clusterPolicies ? { clusterPolicies: [...loaded.clusterPolicies.values()].reduce((n, l) => n + l.length, 0) } : {}),
    steps: suite.steps.length,
    sources: axes.sources.length,
    connectionColumns: axes.columns.filter((c) => c.kind === 'conn').length,
    dnsColumns: axes.columns.filter((c) => c.kind === 'dns').length,
    cells,
    dnsNames: dnsNames(suite),
    implicitDnsCheck: suite.probe.dnsNames === undefined && dnsNames(suite).length > 0,
  };
}
