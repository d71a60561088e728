// Creating a directory the user named (--report-dir): one level at a time from the nearest existing
// parent, so a path that cannot hold a directory fails at once with exit 2. Node's recursive mkdir
// spins forever under /proc (/proc/nope/x), and a late failure would come after a whole cluster run.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.js';

const codeOf = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? String(e);

/** Makes `dir` (and its missing parents) and checks it is writable; UsageError naming `flag` otherwise. */
export async function makeOutputDir(dir: string, flag = '--report-dir'): Promise<void> {
  const fail = (why: string): never => {
    throw new UsageError(`${flag} ${dir}: ${why}`, { hint: `pass a writable directory to ${flag}` });
  };
  const abs = path.resolve(dir);
  const missing: string[] = [];
  let existing = abs;
  for (;;) {
    try {
      const st = await stat(existing);
      if (!st.isDirectory()) fail(`${existing} exists and is not a directory`);
      break;
    } catch (e) {
      if (e instanceof UsageError) throw e;
      if (codeOf(e) !== 'ENOENT' && codeOf(e) !== 'ENOTDIR') fail(`${existing} cannot be used (${codeOf(e)})`);
      missing.unshift(existing);
      const up = path.dirname(existing);
      if (up === existing) fail('no parent directory exists');
      existing = up;
    }
  }
  for (const d of missing) {
    try {
      await mkdir(d);
    } catch (e) {
      if (codeOf(e) === 'EEXIST' && (await stat(d).then((s) => s.isDirectory(), () => false))) continue;
      fail(`cannot create ${d} (${codeOf(e)})`);
    }
  }
  try {
    await access(abs, constants.W_OK);
  } catch (e) {
    fail(`is not writable (${codeOf(e)})`);
  }
}
