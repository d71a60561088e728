// `netpol-harness explain <suite> --from <src> --to <dst>:<port>[/proto] [--step S]`: why one
// cell is allowed or denied, in policy terms (isolating policies, allowing rule, closest misses).
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';
import { profileForSuite } from '../../policy/simulate.js';
import { explainCell, openPorts, resolveSource, resolveStep, resolveTarget, stepsWhereBothExist, type CellExplanation } from '../../policy/suite-query.js';
import { loadValidSuite } from '../../suite/validate.js';

const WORD = { allow: 'ALLOW', deny: 'DENY', unknown: 'UNKNOWN', mixed: 'MIXED' } as const;

export function renderExplanation(stepLabel: string, e: CellExplanation): string {
  return [`${stepLabel}: ${e.cell}: ${WORD[e.verdict]}`, `  ${e.explanation.summary}`, ...e.explanation.details.map((d) => `    ${d}`)].join('\n');
}

export function register(program: Command): void {
  program
    .command('explain')
    .argument('<suite>', 'suite file, or a directory holding suite.yaml')
    .requiredOption('-f, --from <source>', 'source: <namespace>/<name>, a unique name, or external:<name> (an external with source: true)')
    .requiredOption('-t, --to <destination>', 'destination: <dst>[:<port>[/<protocol>]] (port number or name), external:<name>:<port>, dns or dns:<name>')
    .option('-s, --step <step>', 'only this step (name or 1-based number); default: every step')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addOption(new Option('--cni <profile>', "CNI profile (default: the suite's cluster.profile, else its cluster.cni)").choices(Object.keys(PROFILES)))
    .action(async (file: string, opts: { from: string; to: string; step?: string; output: 'text' | 'json'; cni?: string }) => {
      const { loaded } = await loadValidSuite(file);
      const profile = opts.cni ? profileByName(opts.cni) : profileForSuite(loaded);
      if (!profile) throw new UsageError(`unknown CNI profile "${opts.cni}"`);
      const src = resolveSource(loaded, opts.from);
      const target = resolveTarget(loaded, opts.to);
      const steps = stepsWhereBothExist(loaded, opts.step !== undefined ? [resolveStep(loaded, opts.step)] : loaded.suite.steps.map((_, i) => i), src, target);
      const total = loaded.suite.steps.length;
      const results = steps.map((i) => ({
        index: i,
        name: loaded.suite.steps[i]!.name,
        cells: explainCell(loaded, i, src, target, { profile }),
        // Without a port: also every port open between the two, whatever the destination declares.
        ...(target.kind === 'all-ports' ? { open: openPorts(loaded, i, src, target.dst, { profile }).allowed.toString() } : {}),
      }));
      if (opts.output === 'json') {
        const out = results.map((r) => ({ step: r.name, index: r.index, number: r.index + 1, ...(r.open !== undefined ? { open: r.open } : {}), cells: r.cells.map((c) => ({ cell: c.cell, verdict: c.verdict, explanation: c.explanation, ...(c.result ? { egress: c.result.egress, ingress: c.result.ingress, uncertain: c.result.uncertain } : {}) })) }));
        process.stdout.write(`${JSON.stringify({ suite: loaded.suite.metadata.name, profile: profile.name, steps: out }, null, 2)}\n`);
        return;
      }
      const blocks = results.flatMap((r) => [
        ...(r.open !== undefined ? [`step ${r.index + 1}/${total} ${r.name}: open from ${src} to ${target.kind === 'all-ports' ? target.dst : ''}: ${r.open}`] : []),
        ...r.cells.map((c) => renderExplanation(`step ${r.index + 1}/${total} ${r.name}`, c)),
      ]);
      process.stdout.write(`${blocks.join('\n\n')}\n`);
    });
}
