// Reading a file the user handed us (suite, policy, manifest, results.json): only a regular file, and
// at most a size cap. A FIFO would block forever, /dev/zero never ends, and a huge file costs memory
// many times its size once parsed: each is refused with a reason instead.
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

export const DEFAULT_MAX_INPUT_MIB = 16;
/** Raises (or lowers) the per-file cap, in MiB. */
export const MAX_INPUT_ENV = 'NPH_MAX_INPUT_MIB';

/** The cap in bytes: NPH_MAX_INPUT_MIB when it is a positive number, else 16 MiB. */
export function maxInputBytes(env: Record<string, string | undefined> = process.env): number {
  const mib = Number(env[MAX_INPUT_ENV]);
  return Math.floor((Number.isFinite(mib) && mib > 0 ? mib : DEFAULT_MAX_INPUT_MIB) * 1024 * 1024);
}

const mib = (bytes: number): string => (bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

/** Why a file cannot be read, worded to follow its name ("x.yaml: is a directory, not a file"). */
export type ReadResult = { text: string } | { why: string };

function notRegular(st: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (st.isDirectory()) return 'is a directory, not a file';
  const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isSocket() ? 'a socket' : 'not a regular file';
  return `is ${what}, not a regular file: pass a file`;
}

function tooLarge(size: string, max: number): string {
  return `is ${size}, over the ${mib(max)} limit for an input file (set ${MAX_INPUT_ENV} to raise it)`;
}

/** Reads a regular file as UTF-8, refusing anything else and anything over the cap. Never throws. */
export async function readInputFile(file: string, maxBytes = maxInputBytes()): Promise<ReadResult> {
  let fh: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever.
    fh = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { why: code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(e)})` };
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return { why: notRegular(st) };
    if (st.size > maxBytes) return { why: tooLarge(mib(st.size), maxBytes) };
    // Read in chunks up to the cap: a regular file may still grow, or report size 0 (/proc).
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(1024 * 1024, maxBytes + 1 - total));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      chunks.push(buf.subarray(0, bytesRead));
      total += bytesRead;
      if (total > maxBytes) return { why: tooLarge(`more than ${mib(maxBytes)}`, maxBytes) };
    }
    return { text: Buffer.concat(chunks, total).toString('utf8') };
  } catch (e) {
    return { why: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  } finally {
    await fh.close();
  }
}
