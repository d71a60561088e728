// A scratch copy of a suite directory with its suite.yaml rewritten, for tests of suite fields
// (removed afterwards, whatever the test did).
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export async function withSuiteCopy<T>(from: string, edit: (yaml: string) => string, use: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'nph-suite-'));
  try {
    await cp(from, dir, { recursive: true });
    const file = path.join(dir, 'suite.yaml');
    await writeFile(file, edit(await readFile(file, 'utf8')));
    return await use(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
