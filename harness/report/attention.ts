// The cells a reader must look at (failures, errors, warnings), worst first, with everything
// needed to act: kinds, the three verdicts, the explanation and the reproduction command.
import type { CellResult, StepResult } from '../diff/result.js';
import { isFailing } from '../diff/three-way.js';
import { cellFacts, columnLabel, destinationLabels, type CellFacts, type RunAxes } from './format.js';

export interface AttentionItem {
  step: string;
  src: string;
  col: string;
  /** `backend:8080/TCP` style label of the column. */
  colLabel: string;
  facts: CellFacts;
  cell: CellResult;
  /** Failing (failure/error) or only a warning. */
  failing: boolean;
}

const rank = (f: CellFacts): number =>
  f.kinds.includes('failure') ? 0 : f.kinds.includes('error') ? 1 : f.kinds.includes('authoring') ? 2 : 3;

/** Non-correct cells of a step: failing first, then warnings, each in matrix order. */
export function attentionItems(step: StepResult, axes: RunAxes): AttentionItem[] {
  const labels = destinationLabels(axes);
  const colByKey = new Map(axes.columns.map((c) => [c.key, c]));
  const items: (AttentionItem & { order: number })[] = [];
  for (const [order, cell] of step.cells.entries()) {
    const facts = cellFacts(cell);
    if (facts.kinds.length === 0) continue;
    const col = colByKey.get(cell.col);
    items.push({
      step: step.name,
      src: cell.src,
      col: cell.col,
      colLabel: col ? columnLabel(col, labels) : cell.col,
      facts,
      cell,
      failing: isFailing(facts.kinds),
      order,
    });
  }
  items.sort((a, b) => rank(a.facts) - rank(b.facts) || a.order - b.order);
  return items.map(({ order: _order, ...item }) => item);
}
