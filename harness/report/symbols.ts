// The one-character cell symbols every format shares, in a Unicode and an ASCII set.
// ASCII matches upstream/Cyclonus (`.` allowed, `X` denied, `?` unknown) so their users read it at once.
import type { Verdict } from '../matrix/matrix.js';
import type { MismatchKind } from '../diff/result.js';
import { isFailing } from '../diff/three-way.js';

export interface SymbolSet {
  allow: string;
  deny: string;
  /** No verdict: probe error, unsupported protocol, or never probed. */
  unknown: string;
  /** Suffix on an observed cell whose probe needed more than one attempt. */
  retried: string;
  /** Self cell (a pod cannot block itself) or a cell absent from this step. */
  self: string;
  /** Comparison table. */
  correct: string;
  wrong: string;
  warning: string;
  arrow: string;
}

export const UNICODE: SymbolSet = {
  allow: '✓',
  deny: '✗',
  unknown: '?',
  retried: '~',
  self: '#',
  correct: '.',
  wrong: 'X',
  warning: '!',
  arrow: '→',
};

export const ASCII: SymbolSet = { ...UNICODE, allow: '.', deny: 'X', arrow: '->' };

export const symbolsFor = (ascii: boolean): SymbolSet => (ascii ? ASCII : UNICODE);

export const verdictSymbol = (s: SymbolSet, v: Verdict | undefined): string =>
  v === 'allow' ? s.allow : v === 'deny' ? s.deny : s.unknown;

/** The comparison symbol: the worst thing about the cell. */
export function comparisonSymbol(s: SymbolSet, kinds: readonly MismatchKind[]): string {
  if (kinds.includes('error')) return s.unknown;
  if (isFailing(kinds)) return s.wrong;
  if (kinds.length > 0) return s.warning;
  return s.correct;
}

/**
 * The key printed beside a table's title: the comparison always (its `.`/`X` would read as allowed/
 * denied otherwise), verdict tables in ASCII, where `.`/`X` mean allowed/denied instead.
 */
export function tableKey(s: SymbolSet, table: 'verdicts' | 'comparison', ascii: boolean): string {
  if (table === 'comparison') return `(${s.correct} correct, ${s.wrong} wrong, ${s.warning} warning, ${s.unknown} error)`;
  return ascii ? `(${s.allow} allowed, ${s.deny} denied, ${s.self} self/not probed, ${s.retried} retried, ${s.unknown} no verdict)` : '';
}

/** Legend lines, shared by the terminal and Markdown reports. */
export function legend(s: SymbolSet): string[] {
  return [
    `expected/simulated/observed: ${s.allow} allowed  ${s.deny} denied  ${s.unknown} no verdict (error, unsupported, not probed)  ` +
      `${s.retried} needed retries  ${s.self} self/not probed`,
    `comparison: ${s.correct} correct  ${s.wrong} wrong (observed != expected)  ${s.warning} warning (authoring/enforcement only)  ` +
      `${s.unknown} error`,
  ];
}
