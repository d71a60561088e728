// `netpol-harness simulate <suite> [--step S] [--output table|json] [--cni ...]`: what the
// policies imply at each step, without a cluster. The table is compact on purpose (one mark per
// cell); the report commands render the rich views.
import { Option, type Command } from 'commander';
import { UsageError } from '../../errors.js';
import { isSelfCell } from '../../matrix/axes.js';
import type { Matrix } from '../../matrix/matrix.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';
import { profileForSuite, simulateStep, type SimCell } from '../../policy/simulate.js';
import { resolveStep } from '../../policy/suite-query.js';
import { offlineUnknowns } from '../../suite/in-place.js';
import { loadValidSuite } from '../../suite/validate.js';

export const MARKS = { allow: '.', deny: 'X', self: '#', unknown: '?' } as const;

function mark(cell: SimCell | undefined): string {
  if (!cell) return MARKS.self;
  if (cell.engineVerdict === 'unknown') return MARKS.unknown;
  return cell.verdict === 'allow' ? MARKS.allow : MARKS.deny;
}

/** Rows = sources, columns numbered with a legend (column keys are too long for headers). */
export function renderTable(m: Matrix<SimCell>, title: string): string {
  const { sources, columns } = m.axes;
  const lines = [title];
  lines.push('  columns:');
  columns.forEach((c, i) => lines.push(`    ${String(i + 1).padStart(2)} ${c.key}`));
  const w = Math.max(...sources.map((s) => s.id.length), 6);
  const cw = String(columns.length).length + 1;
  lines.push(`  ${''.padEnd(w)} ${columns.map((_, i) => String(i + 1).padStart(cw)).join('')}`);
  let allow = 0;
  let deny = 0;
  let unknown = 0;
  for (const s of sources) {
    const row = columns.map((c) => {
      const cell = isSelfCell(s, c) ? undefined : m.get(s.id, c.key);
      const k = mark(cell);
      if (k === MARKS.allow) allow++;
      else if (k === MARKS.deny) deny++;
      else if (k === MARKS.unknown) unknown++;
      return k.padStart(cw);
    });
    lines.push(`  ${s.id.padEnd(w)} ${row.join('')}`);
  }
  lines.push(`  ${MARKS.allow} allow  ${MARKS.deny} deny  ${MARKS.self} self (not probed)${unknown ? `  ${MARKS.unknown} not enforced by the CNI profile` : ''}`);
  lines.push(`  allow ${allow}, deny ${deny}${unknown ? `, unknown ${unknown}` : ''}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('compute the reachability matrix the policies imply at each step, without a cluster')
    .argument('<suite>', 'suite file, or a directory holding suite.yaml')
    .option('-s, --step <step>', 'only this step (name or 1-based number)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'json']).default('table'))
    .addOption(new Option('--cni <profile>', "CNI profile for implementation-defined behaviour (default: the suite's cluster.cni)").choices(Object.keys(PROFILES)))
    .action(async (file: string, opts: { step?: string; output: 'table' | 'json'; cni?: string }) => {
      const { loaded, warnings } = await loadValidSuite(file);
      for (const w of warnings) process.stderr.write(`warning: ${w.file}${w.line ? `:${w.line}` : ''}: ${w.path}: ${w.message}\n`);
      const profile = opts.cni ? profileByName(opts.cni) : profileForSuite(loaded);
      if (!profile) throw new UsageError(`unknown CNI profile "${opts.cni}"`);
      const steps = opts.step !== undefined ? [resolveStep(loaded, opts.step)] : loaded.suite.steps.map((_, i) => i);
      const total = loaded.suite.steps.length;
      if (opts.output === 'json') {
        const out = {
          suite: loaded.suite.metadata.name,
          file: loaded.file,
          profile: profile.name,
          steps: steps.map((i) => {
            const m = simulateStep(loaded, i, { profile });
            return {
              index: i,
              name: loaded.suite.steps[i]!.name,
              cells: [...m.cells()].map(({ src, col, value }) => ({
                src: src.id,
                col: col.key,
                verdict: value!.verdict,
                engineVerdict: value!.engineVerdict,
                explanation: value!.explanation,
                ...(value!.uncertain ? { uncertain: value!.uncertain } : {}),
              })),
            };
          }),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      for (const note of offlineUnknowns(loaded.suite)) process.stderr.write(`note: ${note}\n`);
      const blocks = steps.map((i) => {
        const step = loaded.suite.steps[i]!;
        return renderTable(simulateStep(loaded, i, { profile }), `step ${i + 1}/${total} ${step.name} (CNI profile ${profile.name})`);
      });
      process.stdout.write(`${blocks.join('\n\n')}\n`);
    });
}
