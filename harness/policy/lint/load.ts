// Reads what `lint` was pointed at: a suite (file or directory with suite.yaml), a directory of
// policy files, or one policy file. Unreadable input is an InputError (exit 2).
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { InputError } from '../../errors.js';
import { readInputFile } from '../../input-file.js';
import { loadSuite } from '../../suite/load.js';
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
}

async function parseFile(file: string): Promise<Parsed> {
  const r = await readInputFile(file);
  if (!('text' in r)) throw new InputError([{ file: shown(file), path: '', message: r.why }]);
  const text = r.text;
  const p = parseYaml(text, shown(file));
  if (p.issues.length > 0) throw new InputError(p.issues);
  const kinds = p.docs.map((d) => (d.value as { kind?: unknown } | null)?.kind);
  if (kinds.includes('Suite')) return { file, suite: true, policies: [], cluster: [] };
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

function merge(results: LintResult[]): LintResult {
  const counts = { error: 0, warning: 0, info: 0 };
  for (const r of results) for (const k of ['error', 'warning', 'info'] as const) counts[k] += r.counts[k];
  return {
    findings: results.flatMap((r) => r.findings),
    counts,
    policies: results.reduce((n, r) => n + r.policies, 0),
    files: [...new Set(results.flatMap((r) => r.files))],
    suppressed: results.reduce((n, r) => n + r.suppressed, 0),
  };
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
    try {
      if ((await stat(suiteFile)).isFile()) return lintSuite(await loadSuite(suiteFile), opts);
    } catch {
      // No suite.yaml: lint the YAML files in the directory.
    }
    const parsed = await Promise.all((await yamlFiles(target)).map(parseFile));
    const suites = parsed.filter((p) => p.suite);
    const results = await Promise.all(suites.map(async (s) => lintSuite(await loadSuite(s.file), opts)));
    // Policy files a suite already covers are linted once, with the suite.
    const covered = new Set(results.flatMap((r) => r.files));
    const loose = parsed.flatMap((p) => p.policies).filter((p) => !covered.has(p.file));
    const looseCluster = parsed.flatMap((p) => p.cluster).filter((p) => !covered.has(p.file));
    if (loose.length + looseCluster.length > 0) results.push(lintPolicies(loose, looseCluster));
    if (results.length === 0) throw new InputError([{ file: shown(target), path: '', message: 'holds no suite and no NetworkPolicy document' }]);
    return merge(results);
  }
  const parsed = await parseFile(target);
  if (parsed.suite) return lintSuite(await loadSuite(target), opts);
  if (parsed.policies.length + parsed.cluster.length === 0) throw new InputError([{ file: shown(target), path: '', message: 'holds no NetworkPolicy document (kind: NetworkPolicy)' }]);
  return lintPolicies(parsed.policies, parsed.cluster);
}
