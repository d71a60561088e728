// YAML parsing that keeps positions, so every error can name the file, field path and line.
import { LineCounter, parseAllDocuments, isNode, type Document } from 'yaml';
import type { Issue } from '../errors.js';

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
}

export interface ParsedYaml {
  docs: YamlDoc[];
  issues: Issue[];
}

/** Parses every document of a YAML text; syntax errors become issues with line and column. */
export function parseYaml(text: string, file: string): ParsedYaml {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues: Issue[] = [];
  const list: Document.Parsed[] = Array.isArray(docs) ? docs : [docs as unknown as Document.Parsed];
  for (const d of list) {
    for (const e of d.errors) {
      const pos = e.linePos?.[0];
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
    .filter((d) => d.contents !== null)
    .map((d) => ({
      value: d.toJS({ maxAliasCount: 100 }) as unknown,
      lineOf(path) {
        const segs = typeof path === 'string' ? parsePath(path) : [...path];
        for (let n = segs.length; n >= 0; n--) {
          const node: unknown = n === 0 ? d.contents : d.getIn(segs.slice(0, n), true);
          if (isNode(node) && node.range) return lc.linePos(node.range[0]).line;
        }
        return undefined;
      },
    }));
  return { docs: out, issues };
}
