// Reads a suite file and its policy files from disk into a typed, positioned model.
// Only syntax and schema are checked here; cross-references and policy shape are in validate.ts.
import path from 'node:path';
import type { z } from 'zod';
import { InputError, type Issue } from '../errors.js';
import { readInputFile } from '../input-file.js';
import type { NetworkPolicy, SourcedPolicy } from '../policy/types.js';
import type { SourcedClusterPolicy } from '../policy/cnp/types.js';
import { clusterPolicyDocument } from './cluster-policies.js';
import { Suite } from './schema.js';
import { describeZodIssues } from './schema-issues.js';
import { parseYaml, pathToString, type YamlDoc } from './yaml-source.js';

export interface LoadedSuite {
  file: string;
  dir: string;
  suite: Suite;
  /** Line of a field path in the suite file. */
  lineOf: (path: string) => number | undefined;
  /** Policy documents per policy-set id, in file order. */
  policies: Map<string, SourcedPolicy[]>;
  /** ClusterNetworkPolicy documents per policy-set id (cluster-scoped; a set may hold both kinds). */
  clusterPolicies?: Map<string, SourcedClusterPolicy[]>;
}

export function zodIssues(error: z.ZodError, file: string, doc: YamlDoc, prefix = '', schema?: z.ZodType): Issue[] {
  // describeZodIssues words each problem for authors: what is expected, what was found, typo hints.
  return describeZodIssues(error.issues, doc.value, schema).map(({ path: segs, message }) => {
    const p = pathToString(segs);
    const full = prefix && p ? `${prefix}.${p}` : prefix || p;
    const line = doc.keyLineOf(segs);
    return { file, path: full || '(document)', ...(line !== undefined ? { line } : {}), message };
  });
}

/** `from.line` is a function: the line is only looked up (a full YAML parse) when there is an error. */
async function readText(file: string, shownAs: string, from?: { file: string; path: string; line: () => number | undefined }): Promise<string> {
  const r = await readInputFile(file);
  if ('text' in r) return r.text;
  const line = from?.line();
  if (from) throw new InputError([{ file: from.file, path: from.path, ...(line ? { line } : {}), message: `${shownAs}: ${r.why}` }]);
  throw new InputError([{ file: shownAs, path: '', message: r.why }]);
}

/** Loads and schema-checks a suite and its policy files. Throws InputError listing every problem. */
export async function loadSuite(suiteFile: string): Promise<LoadedSuite> {
  const file = path.resolve(suiteFile);
  const shown = path.relative(process.cwd(), file) || file;
  const text = await readText(file, shown);
  const parsed = parseYaml(text, shown);
  if (parsed.issues.length > 0) throw new InputError(parsed.issues);
  if (parsed.docs.length !== 1) {
    throw new InputError([{ file: shown, path: '', message: `a suite file holds exactly one YAML document (found ${parsed.docs.length})` }]);
  }
  const doc = parsed.docs[0]!;
  const result = Suite.safeParse(doc.value);
  if (!result.success) throw new InputError(zodIssues(result.error, shown, doc, '', Suite));
  const suite = result.data;
  const dir = path.dirname(file);
  const issues: Issue[] = [];
  const policies = new Map<string, SourcedPolicy[]>();
  const clusterPolicies = new Map<string, SourcedClusterPolicy[]>();
  for (const [i, ref] of suite.policies.entries()) {
    const pfile = path.resolve(dir, ref.file);
    const pshown = path.relative(process.cwd(), pfile) || pfile;
    let ptext: string;
    try {
      ptext = await readText(pfile, pshown, { file: shown, path: `policies[${i}].file`, line: () => doc.lineOf(`policies[${i}].file`) });
    } catch (e) {
      if (e instanceof InputError) {
        issues.push(...e.issues);
        continue;
      }
      throw e;
    }
    const pp = parseYaml(ptext, pshown);
    if (pp.issues.length > 0) {
      issues.push(...pp.issues);
      continue;
    }
    const list: SourcedPolicy[] = [];
    const cluster: SourcedClusterPolicy[] = [];
    pp.docs.forEach((d, docIndex) => {
      const v = d.value as Partial<NetworkPolicy> | null;
      const where = (p: string): Issue => {
        const line = d.lineOf(p);
        return { file: pshown, path: pp.docs.length > 1 ? `[doc ${docIndex}] ${p}` : p, ...(line !== undefined ? { line } : {}), message: '' };
      };
      if (v === null || typeof v !== 'object' || Array.isArray(v)) {
        issues.push({ ...where(''), path: `[doc ${docIndex}]`, message: 'is not a YAML mapping (expected a NetworkPolicy)' });
        return;
      }
      const c = clusterPolicyDocument(d, docIndex, pshown, ref.id, where);
      if (c !== undefined) {
        if ('issue' in c) issues.push(c.issue);
        else cluster.push(c.policy);
        return;
      }
      if (v.kind !== 'NetworkPolicy') {
        issues.push({ ...where('kind'), message: `must be "NetworkPolicy" or "ClusterNetworkPolicy" (found ${JSON.stringify(v.kind ?? null)})` });
        return;
      }
      if (v.apiVersion !== 'networking.k8s.io/v1') {
        issues.push({ ...where('apiVersion'), message: `must be "networking.k8s.io/v1" (found ${JSON.stringify(v.apiVersion ?? null)})` });
        return;
      }
      const policy = structuredClone(v) as NetworkPolicy;
      policy.metadata ??= { name: '' };
      // A malformed metadata (not a mapping) is left as is for the policy validator to report.
      const meta: unknown = policy.metadata;
      const metaIsMap = typeof meta === 'object' && meta !== null && !Array.isArray(meta);
      if (metaIsMap && policy.metadata.namespace === undefined && ref.namespace !== undefined) policy.metadata.namespace = ref.namespace;
      policy.spec ??= {};
      list.push({ policy, setId: ref.id, file: pshown, docIndex, lineOf: (p: string) => d.lineOf(p), keyLineOf: (p: string) => d.keyLineOf(p) });
    });
    policies.set(ref.id, list);
    if (cluster.length > 0) clusterPolicies.set(ref.id, cluster);
  }
  if (issues.length > 0) throw new InputError(issues);
  return { file: shown, dir, suite, lineOf: (p) => doc.lineOf(p), policies, ...(clusterPolicies.size > 0 ? { clusterPolicies } : {}) };
}
