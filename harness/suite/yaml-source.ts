// YAML parsing that keeps positions, so every error can name the file, field path and line.
// Values come from the fast path (yaml-fast.ts) where it applies; the `yaml` package, which keeps
// positions, is loaded and run only when a line is asked for or the fast path declines.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document } from 'yaml';
import type { Issue } from '../errors.js';
import { fastYamlValues } from './yaml-fast.js';

let yamlModule: typeof Yaml | undefined;
const yaml = (): typeof Yaml => (yamlModule ??= createRequire(import.meta.url)('yaml') as typeof Yaml);

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

/** Parses every document of a YAML text; syntax errors become issues with line and column. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const values = fastYamlValues(text);
  if (values === undefined) return parseFull(text, file);
  // Lines on demand: the full parse runs once per text, the first time any document needs a line.
  let full: YamlDoc[] | undefined;
  const docAt = (i: number): YamlDoc | undefined => {
    full ??= parseFull(text, file).docs;
    return full.length === values.length ? full[i] : undefined;
  };
  return {
    docs: values.map((value, i) => ({ value, lineOf: (p) => docAt(i)?.lineOf(p), keyLineOf: (p) => docAt(i)?.keyLineOf(p) })),
    issues: [],
  };
}

function parseFull(text: string, file: string): ParsedYaml {
  const { LineCounter, parseAllDocuments, isMap, isNode, isScalar } = yaml();
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: Issue[] = [];
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    for (const e of d.errors) {
      // linePos is only filled with prettyErrors; fall back to the offset so every syntax error has a line.
      const pos = e.linePos?.[0] ?? lc.linePos(e.pos[0]);
      issues.push({
        file,
        path: '',
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        message: `YAML syntax error: ${e.message.split('\n')[0]}`,
      });
    }
  }
  if (issues.length > 0) return { docs: [], issues };
  const out: YamlDoc[] = list
    // Empty documents (a trailing `---`, a comment-only section) are skipped, as kubectl does.
    .filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null))
    .map((d) => {
      const lineOf = (path: string | readonly PathSegment[]): number | undefined => {
        const segs = typeof path === 'string' ? parsePath(path) : [...path];
        for (let n = segs.length; n >= 0; n--) {
          const node: unknown = n === 0 ? d.contents : d.getIn(segs.slice(0, n), true);
          if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
        }
        return undefined;
      };
      const keyLineOf = (path: string | readonly PathSegment[]): number | undefined => {
        const segs = typeof path === 'string' ? parsePath(path) : [...path];
        const last = segs[segs.length - 1];
        const parent: unknown = segs.length <= 1 ? d.contents : d.getIn(segs.slice(0, -1), true);
        if (typeof last === 'string' && isMap(parent)) {
          const pair = parent.items.find((it) => isScalar(it.key) && String(it.key.value) === last);
          if (pair && isNode(pair.key) && pair.key.range) return lc.linePos(pair.key.range[0]).line;
        }
        return lineOf(segs);
      };
      return { value: d.toJS({ maxAliasCount: 100 }) as unknown, lineOf, keyLineOf };
    });
  return { docs: out, issues };
}
