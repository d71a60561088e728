// Locating files shipped with the package (clusters/, images/) from source (tsx) and from dist/.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The first existing `<ancestor>/<rel>` walking up from this module (harness/cluster or dist/harness/cluster). */
export function findPackageFile(rel: string): string | undefined {
  let dir = here;
  for (let i = 0; i < 6; i++) {
    const p = path.join(dir, rel);
    if (existsSync(p)) return p;
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

export const DEFAULT_CACHE_DIR = '/var/cache/netpol-harness';

/** KEY=VALUE lines of the air-gap build's summary (images.env); {} when it does not exist. */
export function readImagesEnv(file = path.join(process.env.NPH_CACHE ?? DEFAULT_CACHE_DIR, 'images.env')): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim().replace(/^(['"])(.*)\1$/, '$2');
  }
  return out;
}

/** An explicit value, else the environment variable, else images.env's entry, else the fallback. */
export function setting(explicit: string | undefined, name: string, fallback?: string, env: Record<string, string> = readImagesEnv()): string | undefined {
  return explicit ?? (process.env[name] || undefined) ?? env[name] ?? fallback;
}
