// A step's cells laid out as rows (sources) x columns (destination ports, DNS checks), in the
// axes' display order. Self cells and cells absent from the step stay empty.
import type { CellResult, MismatchKind, StepResult } from '../diff/result.js';
import { classifyCell } from '../diff/three-way.js';
import { isSelf, type AxisColumn, type AxisSource, type RunAxes } from './format.js';

export interface GridCell {
  cell?: CellResult;
  /** The source would probe itself: never probed. */
  self: boolean;
  kinds: MismatchKind[];
}

export interface Grid {
  rows: AxisSource[];
  cols: AxisColumn[];
  /** cells[row][col] */
  cells: GridCell[][];
}

/** Rows and columns come from the axes; anything only the cells mention is appended, so nothing is lost. */
export function buildGrid(step: StepResult, axes: RunAxes): Grid {
  const rows = [...axes.sources];
  const cols = [...axes.columns];
  const rowIds = new Set(rows.map((r) => r.id));
  const colKeys = new Set(cols.map((c) => c.key));
  for (const c of step.cells) {
    if (!rowIds.has(c.src)) {
      rowIds.add(c.src);
      rows.push({ id: c.src, kind: 'unknown' });
    }
    if (!colKeys.has(c.col)) {
      colKeys.add(c.col);
      cols.push(c.col.startsWith('dns:') ? { key: c.col, kind: 'dns', name: c.col.slice(4) } : { key: c.col, kind: 'conn' });
    }
  }
  const byKey = new Map(step.cells.map((c) => [`${c.src}|${c.col}`, c]));
  const cells = rows.map((r) =>
    cols.map((col): GridCell => {
      const cell = byKey.get(`${r.id}|${col.key}`);
      return cell ? { cell, self: false, kinds: classifyCell(cell) } : { self: isSelf(r.id, col), kinds: [] };
    }),
  );
  return { rows, cols, cells };
}
