// Reads what `lint` was pointed at: a suite (file or directory with suite.yaml), a directory of
// policy files, or one policy file. Unreadable input is an InputError (exit 2).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { readInputFile } from '../../input-file.js';
import { loadSuite, type LoadedSuite } from '../../suite/load.js';
import { parseYaml } from '../../suite/yaml-source.js';
import type { CniProfile } from '../profiles.js';
import type { NetworkPolicy, SourcedPolicy } from '../types.js';
import { CNP_KIND, type ClusterNetworkPolicy, type SourcedClusterPolicy } from '../cnp/types.js';
import { lintPolicies, lintSuite, type LintResult } from './index.js';

const shown = (f: string): string => path.relative(process.cwd(), f) || f;

async function yamlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await yamlFiles(full)));
    else if (/\.ya?ml$/.test(e.name)) out.push(full);
  }
  return out;
}

interface Parsed {
  file: string;
  suite: boolean;
  policies: SourcedPolicy[];
  cluster: SourcedClusterPolicy[];
  /** Why a file found in a directory is not linted (not Kubernetes YAML). */
  skipped?: string;
}

/** A Go/Helm template action such as `{{ .Values.name }}` or `{{- if .Values.on }}`. */
const TEMPLATE_ACTION = /\{\{[^{}\n]*\}\}/;
/** Text that means to be a document lint reads: a broken one must not be skipped. */
const LINTED_KIND = new RegExp(`^\\s*kind:\\s*["']?(NetworkPolicy|${CNP_KIND}|Suite)["']?\\s*(#.*)?$`, 'm');

const TEMPLATE_NOTE = 'a template ({{ }}), not Kubernetes YAML: render it (e.g. helm template) and lint the output';
const BROKEN_NOTE = 'not valid YAML, and no NetworkPolicy, ClusterNetworkPolicy or Suite in it';

const skippedFile = (file: string, why: string): Parsed => ({ file, suite: false, policies: [], cluster: [], skipped: why });

async function parseFile(file: string, opts: { inDirectory?: boolean } = {}): Promise<Parsed> {
  const r = await readInputFile(file);
  if (!('text' in r)) throw new InputError([{ file: shown(file), path: '', message: r.why }]);
  const text = r.text;
  // In a directory, files that are not Kubernetes YAML are skipped: templates even when they happen
  // to parse (`{{ .Values.name }}` is a YAML flow map), and broken YAML that means no document lint reads.
  if (opts.inDirectory && TEMPLATE_ACTION.test(text)) return skippedFile(file, TEMPLATE_NOTE);
  const p = parseYaml(text, shown(file));
  if (p.issues.length > 0 && opts.inDirectory && !LINTED_KIND.test(text)) return skippedFile(file, BROKEN_NOTE);
  if (p.issues.length > 0) throw new InputError(p.issues);
  // A suite by its kind, or by its apiVersion when the kind is mistyped (`kind: Suit`): loading it then says what is wrong.
  const heads = p.docs.map((d) => (d.value ?? {}) as { kind?: unknown; apiVersion?: unknown });
  if (heads.some((h) => h.kind === 'Suite' || (typeof h.apiVersion === 'string' && h.apiVersion.startsWith('netpol-harness/')))) return { file, suite: true, policies: [], cluster: [] };
  const policies: SourcedPolicy[] = [];
  const cluster: SourcedClusterPolicy[] = [];
  p.docs.forEach((d, docIndex) => {
    const v = d.value as NetworkPolicy | null;
    if (v && typeof v === 'object' && (v as { kind?: unknown }).kind === CNP_KIND) {
      cluster.push({ policy: v as unknown as ClusterNetworkPolicy, setId: shown(file), file: shown(file), docIndex, lineOf: (x) => d.lineOf(x), keyLineOf: (x) => d.keyLineOf(x) });
      return;
    }
    if (!v || typeof v !== 'object' || v.kind !== 'NetworkPolicy') return;
    v.spec ??= {};
    policies.push({ policy: v, setId: shown(file), file: shown(file), docIndex, lineOf: (x) => d.lineOf(x), keyLineOf: (x) => d.keyLineOf(x) });
  });
  return { file, suite: false, policies, cluster };
}

function merge(results: LintResult[], skipped: LintResult['skipped']): LintResult {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const r of results) for (const k of ['error', 'warning', 'info'] as const) counts[k] += r.counts[k];
  return {
    findings: results.flatMap((r) => r.findings),
    counts,
    policies: results.reduce((n, r) => n + r.policies, 0),
    files: [...new Set(results.flatMap((r) => r.files))],
    suppressed: results.reduce((n, r) => n + r.suppressed, 0),
    ...(skipped && skipped.length > 0 ? { skipped } : {}),
  };
}

/** Loads a suite lint was pointed at (directly or in a directory); a broken one is bad input, never skipped. */
async function loadSuiteToLint(file: string): Promise<LoadedSuite> {
  try {
    return await loadSuite(file);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    throw new InputError([{ file: shown(file), path: '', message: 'the suite could not be loaded, so nothing was linted:' }, ...e.issues], e.hint);
  }
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** Lints a suite file, a directory (its suite.yaml, else every YAML file in it) or one policy file. */
export async function lintPath(target: string, opts: { profile?: CniProfile } = {}): Promise<LintResult> {
  let st;
  try {
    st = await stat(target);
  } catch {
    throw new InputError([{ file: target, path: '', message: 'file not found' }]);
  }
  if (st.isDirectory()) {
    const suiteFile = path.join(target, 'suite.yaml');
    // A suite.yaml that does not load is reported (exit 2), not passed over for the loose policies.
    if (await isFile(suiteFile)) return lintSuite(await loadSuiteToLint(suiteFile), opts);
    const parsed = await Promise.all((await yamlFiles(target)).map((f) => parseFile(f, { inDirectory: true })));
    const skipped = parsed.flatMap((p) => (p.skipped !== undefined ? [{ file: shown(p.file), reason: p.skipped }] : []));
    const suites = parsed.filter((p) => p.suite);
    const results = await Promise.all(suites.map(async (s) => lintSuite(await loadSuiteToLint(s.file), opts)));
    // Policy files a suite already covers are linted once, with the suite.
    const covered = new Set(results.flatMap((r) => r.files));
    const loose = parsed.flatMap((p) => p.policies).filter((p) => !covered.has(p.file));
    const looseCluster = parsed.flatMap((p) => p.cluster).filter((p) => !covered.has(p.file));
    if (loose.length + looseCluster.length > 0) results.push(lintPolicies(loose, looseCluster));
    if (results.length === 0) {
      const notes = skipped.map((x) => ({ file: x.file, path: '', message: `skipped: ${x.reason}` }));
      throw new InputError([{ file: shown(target), path: '', message: 'holds no suite and no NetworkPolicy document' }, ...notes]);
    }
    return merge(results, skipped);
  }
  const parsed = await parseFile(target);
  if (parsed.suite) return lintSuite(await loadSuiteToLint(target), opts);
  if (parsed.policies.length + parsed.cluster.length === 0) throw new InputError([{ file: shown(target), path: '', message: 'holds no NetworkPolicy document (kind: NetworkPolicy)' }]);
  return lintPolicies(parsed.policies, parsed.cluster);
}
