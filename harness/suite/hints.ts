// Small wording helpers shared by the suite and policy validators, so every message
// describes the offending value the same way and suggests the likely intended name.

/** Edit distance (insert, delete, substitute, swap of neighbours), for "did you mean" hints. */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest candidate when it is plausibly a typo of `word` (case-insensitive), else undefined. */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const dd = distance(w, c.toLowerCase());
    if (dd < bestD) {
      best = c;
      bestD = dd;
    }
  }
  // Short words tolerate one edit, longer ones a third of their length.
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestD <= limit && best !== word ? best : undefined;
}

/** ` (did you mean "x"?)` or an empty string. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const c = closest(word, candidates);
  return c === undefined ? '' : ` (did you mean "${c}"?)`;
}

/** A short description of a YAML value for "found ..." clauses. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (Array.isArray(v)) return 'a list';
  return 'a mapping';
}

export const quoteList = (xs: readonly unknown[]): string => xs.map((x) => JSON.stringify(x)).join(', ');

/**
 * For a string field that got a boolean or a number: YAML as kubectl reads it (1.1) turns unquoted
 * y/yes/on/n/no/off into booleans and 0755 (octal), 5_432 into numbers, so the fix is quotes.
 */
export function quoteHint(v: unknown): string {
  if (typeof v === 'boolean') return '; quote it: kubectl (YAML 1.1) reads an unquoted y, yes, on, true, n, no, off or false as a boolean';
  if (typeof v === 'number') return '; quote it: kubectl (YAML 1.1) reads it as a number (a leading 0 is octal, _ is dropped)';
  return '';
}
