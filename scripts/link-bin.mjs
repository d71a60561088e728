#!/usr/bin/env node
// Links the built CLI into node_modules/.bin so `npx netpol-harness` works inside a clone of this
// repository (npm links dependencies' bins there, never the root package's own).
import { chmodSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const target = path.join(root, 'dist/harness/cli/bin.js');
if (!existsSync(target)) {
  console.error(`link-bin: ${target} is missing; run npm run build first`);
  process.exit(1);
}
chmodSync(target, 0o755);
const binDir = path.join(root, 'node_modules/.bin');
if (!existsSync(path.join(root, 'node_modules'))) process.exit(0); // installed as a dependency: npm links the bin itself
mkdirSync(binDir, { recursive: true });
const link = path.join(binDir, 'netpol-harness');
rmSync(link, { force: true });
symlinkSync(path.relative(binDir, target), link);
