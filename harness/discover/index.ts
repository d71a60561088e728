// `discover`: a live cluster -> a suite directory (suite.yaml, policies/<namespace>.yaml). Never
// changes the cluster. Policies the engine cannot model stop it (exit 2) unless skipUnsupported.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toYaml } from '../suite/yaml-write.js';
import { makeOutputDir } from '../report/report-dir.js';
import { InputError } from '../errors.js';
import { apiServerReviewer, assertAccess, type AccessReviewer } from '../cluster/checks/access.js';
import { connectExistingCluster } from '../cluster/providers/existing.js';
import { silentProgress, type Progress } from '../cluster/progress.js';
import { ClusterSpec, WorkloadSpec } from '../suite/schema.js';
import { discoverNeeds, readCluster, type NamespaceScope } from './read.js';
import { discoverSuite, type DiscoveredExternal, type DiscoveredSuite } from './transform.js';

export { ATTACKER, discoverSuite, exportPolicy, parseExternalFlag, unsupportedReasons, workloadPorts, type ClusterReading, type DiscoveredExternal, type DiscoveredSuite } from './transform.js';
export { discoverNeeds, readCluster, type NamespaceScope } from './read.js';

/** Whether this build's suite schema can find existing workloads by `ref` and probe from them (`source`). */
export const SCHEMA_HAS_REFS = 'ref' in WorkloadSpec.shape && 'source' in WorkloadSpec.shape;

export interface DiscoverRunOptions {
  kubeconfig?: string;
  context?: string;
  scope: NamespaceScope;
  outDir: string;
  skipUnsupported?: boolean;
  /** Add the attacker probe in a fresh namespace (default true). */
  attacker?: boolean;
  /** `--external <name>=<cidr>:<port>`, parsed. */
  externals?: DiscoveredExternal[];
  review?: AccessReviewer;
  progress?: Progress;
}

/** The YAML with comment lines above a top-level key (unchanged when there are none or the key is absent). */
export function withComment(yaml: string, key: string, lines: string[]): string {
  if (lines.length === 0) return yaml;
  return yaml.replace(new RegExp(`^${key}:`, 'm'), `${lines.map((l) => `# ${l}`).join('\n')}\n${key}:`);
}

export async function writeDiscovered(d: DiscoveredSuite, outDir: string): Promise<string[]> {
  const files: string[] = [];
  await makeOutputDir(path.join(outDir, 'policies'), '--output');
  const suiteFile = path.join(outDir, 'suite.yaml');
  await writeFile(suiteFile, `# written by netpol-harness discover\n${withComment(toYaml(d.suite), 'externals', d.externalsComment)}`);
  files.push(suiteFile);
  for (const [rel, docs] of d.policyFiles) {
    const f = path.join(outDir, rel);
    await writeFile(f, docs.map((doc) => toYaml(doc)).join('---\n'));
    files.push(f);
  }
  return files;
}

export async function discover(opts: DiscoverRunOptions): Promise<{ discovered: DiscoveredSuite; files: string[]; readMs: number }> {
  const progress = opts.progress ?? silentProgress;
  const cluster = await connectExistingCluster(ClusterSpec.parse({ provider: 'existing' }), { ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context ? { context: opts.context } : {}), progress });
  await assertAccess(opts.review ?? apiServerReviewer(cluster.kubeConfig), discoverNeeds(opts.scope), `context ${cluster.context}`);
  const t0 = performance.now();
  const reading = await readCluster(cluster.client, opts.scope, cluster.context);
  const readMs = performance.now() - t0;
  const discovered = discoverSuite(reading, { refs: SCHEMA_HAS_REFS, attacker: opts.attacker ?? true, ...(opts.externals ? { externals: opts.externals } : {}) });
  if (discovered.unsupported.length && !opts.skipUnsupported) {
    throw new InputError(
      discovered.unsupported.map((u) => ({ file: `NetworkPolicy ${u.policy}`, path: '', message: `the engine cannot model it: ${u.reasons.join('; ')}` })),
      'nothing was written; pass --skip-unsupported to write the suite without these policies',
    );
  }
  for (const u of discovered.unsupported) progress.warn(`left out NetworkPolicy ${u.policy}: ${u.reasons.join('; ')}`);
  for (const s of discovered.skipped) progress.warn(`skipped ${s}`);
  for (const w of discovered.warnings) progress.warn(w);
  const files = await writeDiscovered(discovered, opts.outDir);
  return { discovered, files, readMs };
}
