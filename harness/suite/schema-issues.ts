// Turns zod's schema issues into one plain message per problem, in the words a suite author
// needs: what the field must be, what was found, and the likely intended name for typos.
// Unions (an expectation, a rule) are reduced to the branch the author evidently meant.
import type { z } from 'zod';
import { describeValue, didYouMean, quoteHint, quoteList } from './hints.js';
import type { PathSegment } from './yaml-source.js';

type ZIssue = z.core.$ZodIssue;

export interface SchemaProblem {
  path: PathSegment[];
  message: string;
}

// Just enough of zod's internal definition tree to find the field names allowed at a path.
interface SchemaNode {
  _zod: { def: { type: string; shape?: Record<string, SchemaNode>; element?: SchemaNode; innerType?: SchemaNode; options?: SchemaNode[]; valueType?: SchemaNode; in?: SchemaNode; getter?: () => SchemaNode } };
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'nonoptional', 'readonly', 'catch']);

function unwrap(node: SchemaNode, depth = 0): SchemaNode[] {
  const def = node._zod.def;
  if (depth > 20) return [];
  if (WRAPPERS.has(def.type) && def.innerType) return unwrap(def.innerType, depth + 1);
  if (def.type === 'pipe' && def.in) return unwrap(def.in, depth + 1);
  if (def.type === 'lazy' && def.getter) return unwrap(def.getter(), depth + 1);
  if (def.type === 'union' && def.options) return def.options.flatMap((o) => unwrap(o, depth + 1));
  return [node];
}

/** Field names an object at `path` may have, according to the schema (empty when unknown). */
export function knownKeysAt(schema: z.ZodType, path: readonly PathSegment[]): string[] {
  let nodes = unwrap(schema);
  for (const seg of path) {
    nodes = nodes.flatMap((n) => {
      const def = n._zod.def;
      if (typeof seg === 'number') return def.type === 'array' && def.element ? unwrap(def.element) : [];
      if (def.type === 'object' && def.shape?.[seg]) return unwrap(def.shape[seg]);
      if (def.type === 'record' && def.valueType) return unwrap(def.valueType);
      return [];
    });
  }
  return [...new Set(nodes.flatMap((n) => (n._zod.def.type === 'object' ? Object.keys(n._zod.def.shape ?? {}) : [])))];
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

const TYPE_WORDS: Record<string, string> = {
  object: 'a mapping',
  record: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

function plural(n: number | bigint, word: string): string {
  return `${n} ${word}${n === 1 || n === 1n ? '' : 's'}`;
}

function message(issue: ZIssue, found: unknown): string {
  const f = ` (found ${describeValue(found)})`;
  switch (issue.code) {
    case 'invalid_type': {
      if (found === undefined) return 'is required';
      // zod reports integers as "expected int, received number" for 1.5
      if (issue.expected === 'int' && typeof found === 'number') return `must be a whole number${f}`;
      return `must be ${TYPE_WORDS[issue.expected] ?? issue.expected}${f}${issue.expected === 'string' ? quoteHint(found) : ''}`;
    }
    case 'invalid_value': {
      if (found === undefined) return `is required: ${issue.values.length === 1 ? `set it to ${JSON.stringify(issue.values[0])}` : `one of ${quoteList(issue.values)}`}`;
      const hint = typeof found === 'string' ? didYouMean(found, issue.values.map(String)) : '';
      if (issue.values.length === 1) return `must be ${JSON.stringify(issue.values[0])}${f}${hint}`;
      return `must be one of ${quoteList(issue.values)}${f}${hint}`;
    }
    case 'too_small': {
      const incl = issue.inclusive !== false;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at least ${plural(issue.minimum, 'item')}`;
      if (issue.origin === 'string') return Number(issue.minimum) <= 1 ? 'must not be empty' : `must be at least ${plural(issue.minimum, 'character')}${f}`;
      return `must be ${incl ? 'at least' : 'greater than'} ${issue.minimum}${f}`;
    }
    case 'too_big': {
      const incl = issue.inclusive !== false;
      if (issue.origin === 'array' || issue.origin === 'set') return `must list at most ${plural(issue.maximum, 'item')}`;
      if (issue.origin === 'string') return `must be at most ${plural(issue.maximum, 'character')}${f}`;
      return `must be ${incl ? 'at most' : 'less than'} ${issue.maximum}${f}`;
    }
    case 'invalid_format': {
      // Custom regex messages from the schema already say what is expected; zod's own ones are generic.
      const what = issue.format === 'regex' ? issue.message : `must be a valid ${issue.format === 'ipv4' ? 'IPv4 address' : issue.format}`;
      return `${what}${f}`;
    }
    default:
      return issue.message;
  }
}

/** Union branches the author may have meant: those not rejected outright for their type. */
function plausibleBranches(errors: readonly ZIssue[][]): ZIssue[][] {
  return errors.filter((b) => !b.some((i) => i.path.length === 0 && (i.code === 'invalid_type' || i.code === 'invalid_value')));
}

function unionAlternatives(errors: readonly ZIssue[][]): string[] {
  const alts: string[] = [];
  for (const b of errors) {
    for (const i of b) {
      if (i.path.length !== 0) continue;
      if (i.code === 'invalid_value') alts.push(...i.values.map((v) => JSON.stringify(v)));
      if (i.code === 'invalid_type') alts.push(TYPE_WORDS[i.expected] ?? i.expected);
    }
  }
  return [...new Set(alts)];
}

function walk(issues: readonly ZIssue[], base: PathSegment[], root: unknown, schema: z.ZodType | undefined, out: SchemaProblem[]): void {
  for (const issue of issues) {
    const path = [...base, ...(issue.path as PathSegment[])];
    const found = valueAt(root, path);
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // The meant branch is the one needing the fewest fixes once typos are merged.
      const described = plausibleBranches(issue.errors).map((b) => {
        const sub: SchemaProblem[] = [];
        walk(b, path, root, schema, sub);
        return mergeTypos(sub);
      });
      if (described.length > 0) {
        out.push(...described.reduce((best, d) => (d.length < best.length ? d : best)));
      } else {
        const alts = unionAlternatives(issue.errors);
        const literals = alts.filter((a) => a.startsWith('"')).map((a) => JSON.parse(a) as string);
        const hint = typeof found === 'string' ? didYouMean(found, literals) : '';
        out.push({ path, message: found === undefined ? 'is required' : `must be ${alts.join(' or ')} (found ${describeValue(found)})${hint}` });
      }
      continue;
    }
    if (issue.code === 'unrecognized_keys') {
      const known = schema ? knownKeysAt(schema, path) : [];
      for (const key of issue.keys) out.push({ path: [...path, key], message: `unknown field "${key}"${didYouMean(key, known)}` });
      continue;
    }
    if (issue.code === 'invalid_key') {
      const key = path[path.length - 1];
      const inner = issue.issues[0];
      const what = inner?.code === 'invalid_format' && inner.format === 'regex' ? inner.message : (inner?.message ?? 'is not a valid key');
      out.push({ path, message: `key ${JSON.stringify(key)} ${what}` });
      continue;
    }
    out.push({ path, message: message(issue, found) });
  }
}

/**
 * One problem per issue, with the path inside the document. `schema` lets unknown fields
 * suggest the intended name; a "required" problem whose field is the suggestion for an
 * unknown field next to it is dropped, since both describe one typo.
 */
export function describeZodIssues(issues: readonly ZIssue[], root: unknown, schema?: z.ZodType): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  walk(issues, [], root, schema, out);
  return mergeTypos(out);
}

function mergeTypos(out: SchemaProblem[]): SchemaProblem[] {
  const typoFor = new Set<string>();
  for (const p of out) {
    const m = /^unknown field "(.*)" \(did you mean "(.*)"\?\)$/.exec(p.message);
    if (m) typoFor.add(JSON.stringify([...p.path.slice(0, -1), m[2]]));
  }
  const seen = new Set<string>();
  return out.filter((p) => {
    if (p.message === 'is required' && typoFor.has(JSON.stringify(p.path))) return false;
    const k = JSON.stringify([p.path, p.message]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
