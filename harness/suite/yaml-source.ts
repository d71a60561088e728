// The one YAML reader for suites, policies and manifests. Values are read as kubectl reads them
// (yaml-kube.ts: YAML 1.1 scalars, merge keys) by js-yaml, one document at a time, so an error's
// line comes with it. Positions of fields (for schema errors) come from the `yaml` package, which is
// loaded and run only when a line is asked for, and then over that one document only: a file of
// 190,000 policies with one error is not parsed a second time.
import { createRequire } from 'node:module';
import jsyaml from 'js-yaml';
import type * as Yaml from 'yaml';
import type { Document } from 'yaml';
import type { Issue } from '../errors.js';
import { KUBE_SCHEMA } from './yaml-kube.js';

let yamlModule: typeof Yaml | undefined;
const yaml = (): typeof Yaml => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

/** Nesting deeper than this is refused (no Kubernetes object comes close; a stack would overflow). */
export const MAX_DEPTH = 256;
/**
 * Field lines are looked up (a parse with positions, ~100 bytes of memory per byte of text) only in
 * documents up to this size; an error in a larger one names the file and field, without a line.
 */
export const MAX_POSITIONED_BYTES = 1024 * 1024;
/** A document's value, aliases expanded, may hold at most this many nodes (or one per byte of text). */
export const MAX_EXPANDED_NODES = 1_000_000;

export type PathSegment = string | number;

export function pathToString(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

export function parsePath(path: string): PathSegment[] {
  const segs: PathSegment[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[2] !== undefined) segs.push(Number(m[2]));
    else if (m[1] !== undefined) segs.push(m[1]);
  }
  return segs;
}

export interface YamlDoc {
  /** Plain JS value of the document. */
  value: unknown;
  /** 1-based line of the node at `path`, or of its closest existing parent. */
  lineOf(path: string | readonly PathSegment[]): number | undefined;
  /** Like lineOf, but for a path ending in a map key, the line of the key itself (where a typo is). */
  keyLineOf(path: string | readonly PathSegment[]): number | undefined;
}

export interface ParsedYaml {
  docs: YamlDoc[];
  issues: Issue[];
}

interface Chunk {
  text: string;
  /** 0-based line of the chunk's first line in the file. */
  line: number;
}

// `---` at the start of a line always starts a document (YAML forbids it inside content), so the
// text can be cut there and each piece read alone. A piece holding only directives (%YAML) and
// comments belongs to the document after it.
const MARKER = /^---(?=[ \t\r\n]|$)/gm;
const ONLY_DIRECTIVES = /^(?:\s*(?:%[^\n]*|#[^\n]*)?\n)*\s*$/;

function chunks(text: string): Chunk[] {
  const out: Chunk[] = [];
  let start = 0;
  let line = 0;
  let counted = 0;
  const lineAt = (offset: number): number => {
    for (let i = text.indexOf('\n', counted); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
    counted = offset;
    return line;
  };
  let startLine = 0;
  for (const m of text.matchAll(MARKER)) {
    if (m.index === 0) continue;
    const piece = text.slice(start, m.index);
    if (/^\s*%/m.test(piece) && ONLY_DIRECTIVES.test(piece)) continue;
    out.push({ text: piece, line: startLine });
    start = m.index;
    startLine = lineAt(m.index);
  }
  out.push({ text: text.slice(start), line: startLine });
  return out;
}

const isEmpty = (v: unknown): boolean => v === null || v === undefined;

/** Nodes in a value with aliases expanded, counted once per shared object; a cycle counts as too many. */
function expandedSize(value: unknown, limit: number): number {
  const memo = new Map<object, number>();
  const visiting = new Set<object>();
  const size = (v: unknown): number => {
    if (typeof v !== 'object' || v === null) return 1;
    const known = memo.get(v);
    if (known !== undefined) return known;
    if (visiting.has(v)) return Infinity;
    visiting.add(v);
    let n = 1;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      n += size(child);
      if (n > limit) break;
    }
    visiting.delete(v);
    memo.set(v, n);
    return n;
  };
  return size(value);
}

function syntaxIssue(e: unknown, file: string, chunk: Chunk): Issue {
  if (!(e instanceof jsyaml.YAMLException)) return { file, path: '', line: chunk.line + 1, message: `YAML cannot be read: ${(e as Error).message}` };
  const reason = /^nesting exceeded maxDepth/.test(e.reason) ? `nested more than ${MAX_DEPTH} levels deep` : e.reason;
  return { file, path: '', line: chunk.line + e.mark.line + 1, column: e.mark.column + 1, message: `YAML syntax error: ${reason}` };
}

/** Positions of one chunk's documents, from the `yaml` package (on demand). */
interface Positions {
  docs: Document.Parsed[];
  lc: Yaml.LineCounter;
}

function positionsOf(chunk: Chunk): Positions {
  const { LineCounter, parseAllDocuments, isScalar } = yaml();
  const lc = new LineCounter();
  // logLevel 'silent': the yaml package would print Node warnings (e.g. on collection keys).
  const parsed = parseAllDocuments(chunk.text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false, version: '1.1', merge: true, logLevel: 'silent' });
  const list: Document.Parsed[] = Array.isArray(parsed) ? parsed : [parsed];
  return { docs: list.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)), lc };
}

function docWithLines(value: unknown, chunk: Chunk, index: number, positions: () => Positions): YamlDoc {
  if (chunk.text.length > MAX_POSITIONED_BYTES) return { value, lineOf: () => undefined, keyLineOf: () => undefined };
  const at = (offset: number): number => chunk.line + positions().lc.linePos(offset).line;
  const doc = (): Document.Parsed | undefined => positions().docs[index];
  const lineOf = (path: string | readonly PathSegment[]): number | undefined => {
    const d = doc();
    if (!d) return undefined;
    const { isNode } = yaml();
    const segs = typeof path === 'string' ? parsePath(path) : [...path];
    for (let n = segs.length; n >= 0; n--) {
      const node: unknown = n === 0 ? d.contents : d.getIn(segs.slice(0, n), true);
      if (isNode(node) && node.range) return at(node.range[0]);
    }
    return undefined;
  };
  const keyLineOf = (path: string | readonly PathSegment[]): number | undefined => {
    const d = doc();
    if (!d) return undefined;
    const { isMap, isNode, isScalar } = yaml();
    const segs = typeof path === 'string' ? parsePath(path) : [...path];
    const last = segs[segs.length - 1];
    const parent: unknown = segs.length <= 1 ? d.contents : d.getIn(segs.slice(0, -1), true);
    if (typeof last === 'string' && isMap(parent)) {
      const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last);
      if (pair && isNode(pair.key) && pair.key.range) return at(pair.key.range[0]);
    }
    return lineOf(segs);
  };
  return { value, lineOf, keyLineOf };
}

/** A mapping key that is itself a mapping or list: js-yaml would flatten it to "[object Object]". */
const MAYBE_COLLECTION_KEY = /(?:^|[\s{[,])\?(?:\s|$)|[\]}][ \t]*:(?:\s|$)/m;

function collectionKeyIssue(p: Positions, chunk: Chunk, file: string): Issue | undefined {
  const { visit, isCollection, isNode } = yaml();
  let found: number | undefined;
  for (const d of p.docs) {
    visit(d, {
      Pair: (_, pair) => {
        if (isCollection(pair.key) && isNode(pair.key) && pair.key.range) {
          found = pair.key.range[0];
          return visit.BREAK;
        }
        return undefined;
      },
    });
    if (found !== undefined) break;
  }
  if (found === undefined) return undefined;
  return { file, path: '', line: chunk.line + p.lc.linePos(found).line, message: 'a mapping key is itself a mapping or a list; kubectl rejects such keys: write a plain string key' };
}

/** Parses every document of a YAML text; the first error of the file becomes an issue with its line. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const docs: YamlDoc[] = [];
  for (const chunk of chunks(text)) {
    const values: unknown[] = [];
    try {
      jsyaml.loadAll(chunk.text, (d) => values.push(d), { schema: KUBE_SCHEMA, json: false, maxDepth: MAX_DEPTH } as jsyaml.LoadOptions);
    } catch (e) {
      return { docs: [], issues: [syntaxIssue(e, file, chunk)] };
    }
    let positions: Positions | undefined;
    const lazy = (): Positions => (positions ??= positionsOf(chunk));
    if (chunk.text.length <= MAX_POSITIONED_BYTES && MAYBE_COLLECTION_KEY.test(chunk.text)) {
      const issue = collectionKeyIssue(lazy(), chunk, file);
      if (issue) return { docs: [], issues: [issue] };
    }
    const kept = values.filter((v) => !isEmpty(v));
    for (const [i, value] of kept.entries()) {
      if (chunk.text.includes('*')) {
        const limit = Math.max(MAX_EXPANDED_NODES, chunk.text.length);
        const n = expandedSize(value, limit);
        if (n > limit) {
          const message = n === Infinity ? 'an alias refers to a node that contains it (a cycle)' : `aliases expand this document to more than ${limit.toLocaleString('en-US')} values (an alias bomb?)`;
          return { docs: [], issues: [{ file, path: '', line: chunk.line + 1, message: `YAML cannot be read: ${message}` }] };
        }
      }
      docs.push(docWithLines(value, chunk, i, lazy));
    }
  }
  return { docs, issues: [] };
}
