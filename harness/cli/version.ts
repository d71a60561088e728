// The package's version, from its package.json (the one source of truth), without the argument parser:
// bin.ts answers `--version` with it before loading anything else.
import { readFileSync } from 'node:fs';
import { findPackageFile } from '../cluster/paths.js';

export function packageVersion(): string {
  const file = findPackageFile('package.json');
  const v = file ? (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version : undefined;
  return typeof v === 'string' ? v : '0.0.0';
}
