// `netpol-harness validate <suite>`: checks a suite and its policy files without a cluster.
// Success: a one-line summary on stdout, exit 0. Failure: every problem as
// `file:line: path: message` on stderr (via InputError, so main prints no stack), exit 2.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { findSuites } from '../../check/find.js';
import { formatIssue, InputError, UsageError, type Issue } from '../../errors.js';
import { policyFileInsteadOfSuite } from '../grammar.js';
import { loadManifests } from '../../suite/manifests.js';
import { offlineUnknowns } from '../../suite/in-place.js';
import { isError, summarize, validateSuite, type SuiteSummary, type SuiteValidation } from '../../suite/validate.js';

const plural = (n: number, word: string, many = `${word}s`): string => `${n} ${n === 1 ? word : many}`;

/** The DNS columns, saying so when the harness added the check itself (probe.dnsNames omitted). */
function dnsLine(s: SuiteSummary): string {
  if (s.dnsNames.length === 0) return 'no DNS check (probe.dnsNames: [])';
  if (s.implicitDnsCheck) return `DNS check: every source resolves ${s.dnsNames[0]} (implicit: probe.dnsNames is omitted, so the first workload's Service is used)`;
  return `DNS ${s.dnsNames.length === 1 ? 'check' : 'checks'}: every source resolves ${s.dnsNames.join(', ')}`;
}

export function summaryLine(file: string, s: SuiteSummary): string {
  const workloads = `${plural(s.workloads, 'workload')}${s.existingWorkloads > 0 ? ` (${s.existingWorkloads} existing)` : ''}`;
  const columns = s.connectionColumns + s.dnsColumns;
  const self = s.sources * columns - s.cells;
  return (
    `${file}: valid: ${plural(s.namespaces, 'namespace')}, ${workloads}, ${plural(s.probes, 'probe')}, ${plural(s.externals, 'external')}, ` +
    `${plural(s.policySets, 'policy set')} (${plural(s.policies, 'NetworkPolicy', 'NetworkPolicies')}${s.clusterPolicies ? `, ${plural(s.clusterPolicies, 'ClusterNetworkPolicy', 'ClusterNetworkPolicies')}` : ''}), ${plural(s.steps, 'step')}; ` +
    `matrix ${plural(s.sources, 'source')} x ${plural(columns, 'column')} (${s.connectionColumns} connection + ${s.dnsColumns} DNS)${self > 0 ? ` - ${self} self` : ''} = ${plural(s.cells, 'cell')} per step; ` +
    dnsLine(s)
  );
}

async function withManifestIssues(v: SuiteValidation): Promise<void> {
  try {
    await loadManifests(v.loaded!);
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    v.issues.push(...e.issues);
    v.ok = false;
  }
}

/** A directory without its own suite.yaml: the suites under it are meant. */
async function isDirectoryOfSuites(p: string): Promise<boolean> {
  const st = await stat(p).catch(() => undefined);
  return st?.isDirectory() === true && !(await stat(path.join(p, 'suite.yaml')).catch(() => undefined))?.isFile();
}

const asWarning = (i: Issue): string => formatIssue({ ...i, path: i.path ? `warning: ${i.path}` : 'warning' });

export function register(program: Command): void {
  program
    .command('validate')
    .argument('<paths...>', 'suite files, directories holding suite.yaml, or directories of suites (as check takes them)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (paths: string[], opts: { output: 'text' | 'json' }) => {
      for (const p of paths) {
        const notASuite = await policyFileInsteadOfSuite(p, 'validate');
        if (notASuite) throw new UsageError(notASuite.message, { hint: notASuite.hint });
      }
      // One suite (a file, or a directory holding suite.yaml) is validated as named; more, or a
      // directory of suites, as check finds them. Every problem of every suite is reported, then exit 2.
      const single = paths.length === 1 && !(await isDirectoryOfSuites(paths[0]!));
      const found = single ? { files: paths, problems: [] as Issue[] } : await findSuites(paths);
      const errors: Issue[] = [...found.problems];
      const json: unknown[] = [];
      for (const file of found.files) {
        const v = await validateSuite(file);
        // The suite's own manifests are read and checked here too (the run would reject them first thing).
        if (v.loaded) await withManifestIssues(v);
        errors.push(...v.issues.filter(isError));
        const summary = v.loaded ? summarize(v.loaded) : undefined;
        if (opts.output === 'json') json.push({ ok: v.ok, file: v.loaded?.file ?? file, ...(summary ? { summary } : {}), issues: v.issues });
        else {
          for (const w of v.issues.filter((i) => !isError(i))) process.stderr.write(`${asWarning(w)}\n`);
          for (const note of v.loaded ? offlineUnknowns(v.loaded.suite) : []) process.stderr.write(`note: ${note}\n`);
          if (v.ok && summary && v.loaded) process.stdout.write(`${summaryLine(v.loaded.file, summary)}\n`);
        }
      }
      if (opts.output === 'json') process.stdout.write(`${JSON.stringify(single ? json[0] : json, null, 2)}\n`);
      if (errors.length > 0) throw new InputError(errors);
    });
}
