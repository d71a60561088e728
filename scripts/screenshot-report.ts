// Renders a results fixture to report.html and screenshots it in headless Chromium (Debian's
// `chromium`). Run `npx tsx scripts/screenshot-report.ts [results.json] [out.png]`; the defaults
// regenerate docs/report-screenshot.png from the seed-suite fixture. The tests reuse the helpers.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { RunResult } from '../harness/diff/result.js';
import { writeReports } from '../harness/report/files.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The first Chromium on PATH, or undefined. */
export function findChromium(): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter);
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    for (const d of dirs) {
      const p = path.join(d, name);
      if (existsSync(p)) return p;
    }
  }
  return undefined;
}

/** Flags that keep a headless run offline, quiet and independent of any user profile. */
function baseArgs(): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--hide-scrollbars',
    `--user-data-dir=${mkdtempSync(path.join(tmpdir(), 'nph-chromium-'))}`,
  ];
}

export async function screenshot(chromium: string, htmlFile: string, pngFile: string, size = { width: 1280, height: 900 }): Promise<void> {
  await run(chromium, [...baseArgs(), `--screenshot=${pngFile}`, `--window-size=${size.width},${size.height}`, pathToFileURL(htmlFile).href], {
    timeout: 120_000,
  });
}

/** The DOM after the page's script ran: proves the script works in a real browser. */
export async function dumpDom(chromium: string, htmlFile: string, size?: { width: number; height: number }): Promise<string> {
  const window = size ? [`--window-size=${size.width},${size.height}`] : [];
  const { stdout } = await run(chromium, [...baseArgs(), ...window, '--dump-dom', pathToFileURL(htmlFile).href], { timeout: 120_000, maxBuffer: 64 << 20 });
  return stdout;
}

async function main(): Promise<void> {
  const input = process.argv[2] ?? path.join(root, 'test/fixtures/results/seed-suite.json');
  const out = path.resolve(process.argv[3] ?? path.join(root, 'docs/report-screenshot.png'));
  const chromium = findChromium();
  if (!chromium) throw new Error('chromium not found on PATH (Debian: apt-get install -y chromium)');
  const dir = mkdtempSync(path.join(tmpdir(), 'nph-report-'));
  await writeReports(JSON.parse(readFileSync(input, 'utf8')) as RunResult, dir, { formats: ['html'], env: {} });
  await screenshot(chromium, path.join(dir, 'report.html'), out);
  process.stdout.write(`wrote ${path.relative(process.cwd(), out)}\n`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 2;
  });
}
