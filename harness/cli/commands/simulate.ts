// `netpol-harness simulate <suite> [--step S] [--output table|json] [--cni ...]`: what the
// policies imply at each step, without a cluster. The table is compact on purpose (one mark per
// cell, in the run reports' symbols: Unicode on UTF-8 terminals, ASCII with --ascii); the report
// commands render the rich views.
import { Option, type Command } from 'commander';
import { policyFileInsteadOfSuite } from '../grammar.js';
import { UsageError } from '../../errors.js';
import { isSelfCell } from '../../matrix/axes.js';
import type { Matrix } from '../../matrix/matrix.js';
import { profileByName, PROFILES } from '../../policy/profiles.js';
import { profileForSuite, simulateStep, type SimCell } from '../../policy/simulate.js';
import { resolveStep } from '../../policy/suite-query.js';
import { simulationStep } from '../../report/simulation.js';
import { ASCII, symbolsFor, type SymbolSet } from '../../report/symbols.js';
import { detectTerminal } from '../../report/terminal.js';
import { offlineUnknowns } from '../../suite/in-place.js';
import { loadValidSuite } from '../../suite/validate.js';

/** Marks a cell whose verdict depends on pod IPs known only at run time (ASCII in both symbol sets). */
export const UNCERTAIN = '*';

function mark(cell: SimCell | undefined, s: SymbolSet): string {
  if (!cell) return s.self;
  if (cell.engineVerdict === 'unknown') return s.unknown;
  return cell.verdict === 'allow' ? s.allow : s.deny;
}

/** Rows = sources, columns numbered with a legend (column keys are too long for headers). */
export function renderTable(m: Matrix<SimCell>, title: string, sym: SymbolSet = ASCII): string {
  const { sources, columns } = m.axes;
  const lines = [title];
  lines.push('  columns:');
  columns.forEach((c, i) => lines.push(`    ${String(i + 1).padStart(2)} ${c.key}`));
  const w = Math.max(...sources.map((s) => s.id.length), 6);
  const cw = String(columns.length).length + 1;
  // Cells whose verdict depends on pod IPs (unknown offline) carry a suffix; the column widens only then.
  const anyUncertain = [...m.cells()].some(({ value }) => value?.uncertain !== undefined);
  const tail = (u: boolean): string => (anyUncertain ? (u ? UNCERTAIN : ' ') : '');
  lines.push(`  ${''.padEnd(w)} ${columns.map((_, i) => String(i + 1).padStart(cw) + tail(false)).join('')}`.trimEnd());
  let allow = 0;
  let deny = 0;
  let unknown = 0;
  let uncertain = 0;
  for (const s of sources) {
    const row = columns.map((c) => {
      const cell = isSelfCell(s, c) ? undefined : m.get(s.id, c.key);
      const k = mark(cell, sym);
      if (k === sym.allow) allow++;
      else if (k === sym.deny) deny++;
      else if (k === sym.unknown) unknown++;
      if (cell?.uncertain) uncertain++;
      return k.padStart(cw) + tail(cell?.uncertain !== undefined);
    });
    lines.push(`  ${s.id.padEnd(w)} ${row.join('')}`.trimEnd());
  }
  lines.push(
    `  ${sym.allow} allow  ${sym.deny} deny  ${sym.self} self (not probed)${sources.some((s) => s.kind === 'external') ? `, or DNS from outside the cluster` : ''}${unknown ? `  ${sym.unknown} not enforced by the CNI profile, or implementation-defined` : ''}` +
      `${uncertain ? `  ${UNCERTAIN} uncertain: depends on pod IPs known only at run time (simulate --output json says why)` : ''}`,
  );
  lines.push(`  allow ${allow}, deny ${deny}${unknown ? `, unknown ${unknown}` : ''}${uncertain ? `, uncertain ${uncertain}` : ''}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('simulate')
    .argument('<suite>', 'suite file, or a directory holding suite.yaml')
    .option('-s, --step <step>', 'only this step (name or 1-based number)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['table', 'text', 'json']).default('table'))
    .addOption(new Option('--cni <profile>', "CNI profile for implementation-defined behaviour (default: the suite's cluster.profile, else its cluster.cni)").choices(Object.keys(PROFILES)))
    .option('--ascii', 'ASCII symbols only')
    .action(async (file: string, opts: { step?: string; output: 'table' | 'text' | 'json'; cni?: string; ascii?: boolean }) => {
      const notASuite = await policyFileInsteadOfSuite(file, 'simulate');
      if (notASuite) throw new UsageError(notASuite.message, { hint: notASuite.hint });
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
          steps: steps.map((i) => simulationStep(loaded, i, profile)),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const symbols = symbolsFor(opts.ascii === true || detectTerminal(process.stdout, process.env).ascii);
      for (const note of offlineUnknowns(loaded.suite)) process.stderr.write(`note: ${note}\n`);
      const blocks = steps.map((i) => {
        const step = loaded.suite.steps[i]!;
        return renderTable(simulateStep(loaded, i, { profile }), `step ${i + 1}/${total} ${step.name} (CNI profile ${profile.name})`, symbols);
      });
      process.stdout.write(`${blocks.join('\n\n')}\n`);
    });
}
