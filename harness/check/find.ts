// Which suites `check` was pointed at: suite files, directories holding suite.yaml, or directories
// of suites (searched recursively). A path that does not exist is reported with the others, not
// thrown, so one bad argument does not stop the rest from being checked.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Issue } from '../errors.js';
import { readInputFile } from '../input-file.js';

export interface FoundSuites {
  /** Suite files, in argument order, each directory's in path order; no duplicates. */
  files: string[];
  /** Arguments that name nothing checkable. */
  problems: Issue[];
}

const SUITE_KIND = /^kind:\s*['"]?Suite['"]?\s*(#.*)?$/m;

/** A YAML file other than suite.yaml counts when it says `kind: Suite` at the top level. */
async function declaresSuite(file: string): Promise<boolean> {
  // A FIFO or device in the folder must not hang the search: readInputFile refuses it.
  const r = await readInputFile(file);
  return 'text' in r && SUITE_KIND.test(r.text);
}

async function suitesUnder(dir: string): Promise<string[]> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await suitesUnder(full)));
    else if (e.name === 'suite.yaml' || (/\.ya?ml$/.test(e.name) && (await declaresSuite(full)))) out.push(full);
  }
  return out;
}

export async function findSuites(args: readonly string[]): Promise<FoundSuites> {
  const files: string[] = [];
  const problems: Issue[] = [];
  const add = (f: string): void => {
    if (!files.includes(f)) files.push(f);
  };
  for (const arg of args) {
    let st;
    try {
      st = await stat(arg);
    } catch {
      problems.push({ file: arg, path: '', message: 'file not found' });
      continue;
    }
    if (!st.isDirectory()) {
      add(arg);
      continue;
    }
    const own = path.join(arg, 'suite.yaml');
    if (await stat(own).then((s) => s.isFile(), () => false)) {
      // A suite directory: its policies/ folder holds policy files, not more suites.
      add(own);
      continue;
    }
    const found = await suitesUnder(arg);
    if (found.length === 0) problems.push({ file: arg, path: '', message: 'holds no suite (no suite.yaml, and no YAML file with kind: Suite)' });
    found.forEach(add);
  }
  return { files, problems };
}
