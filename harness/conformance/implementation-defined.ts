// Cells the spec leaves to the implementation (cases.ts ImplementationDefined): what the CNI did on
// them and what that means. An answer only counts when the rest of the case conformed: a CNI that
// enforces nothing allows every cell, and its allow would otherwise read as "pre-DNAT". Pure.
import { verdictOf, type CellResult, type ObservedClass } from '../diff/result.js';
import type { ImplementationDefined } from './cases.js';
import { laneNs } from './topology.js';

export interface ImplementationObservation {
  /** `src -> col` in the case's lane. */
  cell: string;
  /** What practically every implementation answers (the cell's expectation and the engine's simulation). */
  typical: 'allow' | 'deny';
  /** `undetermined`: not judged, or the rest of the case deviated so the cell proves nothing. */
  observed: 'allow' | 'deny' | 'mixed' | 'undetermined';
  /** What the observed verdict means, or why there is no answer. */
  reading: string;
  /** The probe classes seen on the cell (refused / timeout / connected). */
  classes: ObservedClass[];
  note: string;
  refs: string[];
}

/** A lane-0 endpoint or column (`x/a`, `y/svc:80/TCP`) in `lane`. */
export function laneCell(text: string, lane: number): string {
  const slash = text.indexOf('/');
  return slash < 0 ? text : `${laneNs(text.slice(0, slash), lane)}${text.slice(slash)}`;
}

/** Is `src -> col` one of the case's implementation-defined cells (in `lane`)? */
export function isImplementationDefined(markers: ImplementationDefined[] | undefined, lane: number, src: string, col: string): boolean {
  return (markers ?? []).some((m) => laneCell(m.src, lane) === src && laneCell(m.col, lane) === col);
}

/**
 * One observation per marker. `cellsOf`: the judged results of a cell (one per case step that
 * probed it); `deviations`: the case's deviating ordinary cells; `unjudged`: its cells without a verdict.
 */
export function implementationObservations(
  markers: ImplementationDefined[],
  lane: number,
  cellsOf: (src: string, col: string) => CellResult[],
  deviations: number,
  unjudged = 0,
): ImplementationObservation[] {
  return markers.map((m) => {
    const src = laneCell(m.src, lane);
    const col = laneCell(m.col, lane);
    const cells = cellsOf(src, col);
    const classes = [...new Set(cells.map((c) => c.observed!.class))];
    const verdicts = [...new Set(classes.map(verdictOf))];
    const base = { cell: `${src} -> ${col}`, typical: m.typical, classes, note: m.note, refs: m.refs };
    if (cells.length === 0) return { ...base, observed: 'undetermined', reading: 'the cell was not judged (no probe result)' };
    if (deviations > 0) {
      return {
        ...base,
        observed: 'undetermined',
        reading: `${deviations} other cell(s) of the case deviate: the policy was not enforced as written (a CNI enforcing nothing allows this cell too), so the cell says nothing about the implementation`,
      };
    }
    if (unjudged > 0) {
      return { ...base, observed: 'undetermined', reading: `${unjudged} cell(s) of the case could not be judged (errors), so whether the policy was enforced as written is unknown` };
    }
    if (verdicts.length !== 1) return { ...base, observed: 'mixed', reading: 'allowed on some probes and denied on others' };
    const v = verdicts[0]!;
    return { ...base, observed: v, reading: m.readings[v] };
  });
}
