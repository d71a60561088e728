// Which kind of JSON report a file holds, told by its content (the file name is the user's): a run
// artifact (results.json: `steps`) or a conformance report (conformance.json: `cases`, `features`,
// `denyStyle`). `diff` uses it to pick the reader; a file it cannot tell (missing, not JSON, not an
// object) is left to the reader, whose error names the file and the problem.
import { InputError } from '../errors.js';
import { readInputFile } from '../input-file.js';

export type ArtifactKind = 'results' | 'conformance';

export const KIND_NAMES: Record<ArtifactKind, string> = {
  results: 'a run artifact (results.json, written by `run`)',
  conformance: 'a conformance report (conformance.json, written by `conformance`)',
};

export function kindOfValue(value: unknown): ArtifactKind | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const has = (k: string): boolean => k in value;
  if (has('steps')) return 'results';
  return has('cases') || has('features') || has('denyStyle') ? 'conformance' : undefined;
}

/** The kind of a file's JSON, or undefined when it cannot be read, parsed or told. */
export async function kindOfFile(file: string): Promise<ArtifactKind | undefined> {
  const r = await readInputFile(file);
  if (!('text' in r)) return undefined;
  try {
    return kindOfValue(JSON.parse(r.text) as unknown);
  } catch {
    return undefined;
  }
}

/**
 * The one kind both files are (a file that cannot be told takes the other's, so its reader reports
 * what is wrong with it; neither told: results, as `diff` always read). Two kinds: exit 2 naming both.
 */
export async function commonKind(oldFile: string, newFile: string): Promise<ArtifactKind> {
  const [a, b] = await Promise.all([kindOfFile(oldFile), kindOfFile(newFile)]);
  if (a !== undefined && b !== undefined && a !== b) {
    throw new InputError(
      [
        { file: oldFile, path: '(document)', message: `is ${KIND_NAMES[a]}` },
        { file: newFile, path: '(document)', message: `is ${KIND_NAMES[b]}; diff compares two reports of the same kind` },
      ],
      'pass two results.json files or two conformance.json files',
    );
  }
  return a ?? b ?? 'results';
}
