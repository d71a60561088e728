// Groups identical rows and identical columns of a large matrix so it stays readable
// (network-policy-api#210/#221 asked for this). A wildcard (the self cell) matches anything,
// so `frontend` and `backend`, which differ only where each would probe itself, still group.

export interface Groups {
  /** Each group is a list of original indices, in first-appearance order. */
  rows: number[][];
  cols: number[][];
  /** The merged signature of each (row group, column group); wildcard only where every member was one. */
  cells: string[][];
}

function groupLines(lines: string[][], wildcard: string): { members: number[]; merged: string[] }[] {
  const groups: { members: number[]; merged: string[] }[] = [];
  for (const [i, line] of lines.entries()) {
    const fits = groups.find((g) => g.merged.every((m, j) => m === line[j] || m === wildcard || line[j] === wildcard));
    if (fits) {
      fits.members.push(i);
      fits.merged = fits.merged.map((m, j) => (m === wildcard ? (line[j] ?? m) : m));
    } else {
      groups.push({ members: [i], merged: [...line] });
    }
  }
  return groups;
}

const transpose = (m: string[][]): string[][] => (m[0] ?? []).map((_, j) => m.map((row) => row[j] ?? ''));

/** Rows first, then columns of the row-grouped matrix. `sig[row][col]` is a cell's full signature. */
export function groupMatrix(sig: string[][], wildcard: string): Groups {
  const rowGroups = groupLines(sig, wildcard);
  const byRows = rowGroups.map((g) => g.merged);
  const colGroups = groupLines(transpose(byRows), wildcard);
  return {
    rows: rowGroups.map((g) => g.members),
    cols: colGroups.map((g) => g.members),
    cells: transpose(colGroups.map((g) => g.merged)),
  };
}

/** Identity grouping: one row/column per group. */
export function ungrouped(sig: string[][]): Groups {
  return { rows: sig.map((_, i) => [i]), cols: (sig[0] ?? []).map((_, j) => [j]), cells: sig };
}

/** `frontend, backend (2 rows)`; long lists keep the names that fit in `width` and count the rest. */
export function groupLabel(names: string[], unit: string, width = 48): string {
  if (names.length === 1) return names[0] ?? '';
  const suffix = ` (${names.length} ${unit})`;
  const shown: string[] = [];
  for (const [i, n] of names.entries()) {
    const rest = names.length - i - 1;
    const candidate = [...shown, n].join(', ') + (rest > 0 ? `, +${rest} more` : '');
    if (shown.length > 0 && candidate.length + suffix.length > width) break;
    shown.push(n);
  }
  const more = names.length - shown.length;
  return `${shown.join(', ')}${more > 0 ? `, +${more} more` : ''}${suffix}`;
}
