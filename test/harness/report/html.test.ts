import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RunResult } from '../../../harness/diff/result.js';
import { summarizeRun } from '../../../harness/diff/three-way.js';
import { renderHtml } from '../../../harness/report/html.js';
import { dumpDom, findChromium, screenshot } from '../../../scripts/screenshot-report.js';
import { loadFixture } from './golden.js';
import { MEASURE_COLUMNS, simulatedRun } from './simulated-run.js';

interface Tag {
  name: string;
  close: boolean;
  attrs: Map<string, string>;
}

const VOID = new Set(['meta', 'input', 'wbr', 'br', 'link', 'img', 'hr']);

/** A small tokenizer: enough to check nesting, attributes and counts without a DOM library. */
function parseTags(html: string): Tag[] {
  // Script and style bodies are not markup.
  const markup = html.replace(/<(script|style)\b([^>]*)>[\s\S]*?<\/\1>/g, '<$1$2></$1>');
  const tags: Tag[] = [];
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w-]+(?:="[^"]*")?)*)\s*\/?>/g)) {
    const attrs = new Map<string, string>();
    for (const a of (m[3] ?? '').matchAll(/([\w-]+)(?:="([^"]*)")?/g)) attrs.set(a[1]!, a[2] ?? '');
    tags.push({ name: m[2]!.toLowerCase(), close: m[1] === '/', attrs });
  }
  return tags;
}

function checkNesting(tags: Tag[]): void {
  const stack: string[] = [];
  for (const t of tags) {
    if (VOID.has(t.name)) continue;
    if (!t.close) stack.push(t.name);
    else expect(stack.pop(), `closing </${t.name}>`).to.equal(t.name);
  }
  expect(stack).to.deep.equal([]);
}

const classes = (t: Tag): string[] => (t.attrs.get('class') ?? '').split(/\s+/).filter(Boolean);

function embeddedData(html: string): { steps: { cells: { src: string; kinds: string[]; repro?: string }[] }[] } {
  const m = /<script type="application\/json" id="nph-data">([\s\S]*?)<\/script>/.exec(html);
  expect(m, 'embedded cell data').to.not.equal(null);
  return JSON.parse(m![1]!) as ReturnType<typeof embeddedData>;
}

describe('HTML report', () => {
  for (const fixture of ['three-way.json', 'seed-suite.json']) {
    describe(fixture, () => {
      const run: RunResult = loadFixture(fixture);
      const html = renderHtml(run);
      const tags = parseTags(html);

      it('is well nested', () => checkNesting(tags));

      it('fetches nothing: no http(s) src/href, no external stylesheet or font', () => {
        for (const t of tags) {
          for (const attr of ['src', 'href', 'action', 'srcset', 'poster']) {
            const v = t.attrs.get(attr);
            if (v !== undefined) expect(v, `<${t.name} ${attr}>`).not.to.match(/^(https?:)?\/\//);
          }
        }
        expect(tags.some((t) => t.name === 'link')).to.equal(false);
        expect(html).not.to.match(/@import|@font-face|url\(\s*['"]?(https?:)?\/\//);
        expect(html).not.to.match(/\bfetch\(|XMLHttpRequest|import\(/);
      });

      it('has one grid per step, with one row per source', () => {
        const grids = tags.filter((t) => t.name === 'table' && classes(t).includes('grid') && !t.close);
        expect(grids.map((g) => g.attrs.get('data-step'))).to.deep.equal(run.steps.map((s) => s.name));
        const rows = tags.filter((t) => t.name === 'th' && t.attrs.get('scope') === 'row');
        expect(rows).to.have.length(run.steps.length * run.axes.sources.length);
      });

      it('gives every probed cell its detail: kinds, verdicts and repro', () => {
        const data = embeddedData(html);
        const tds = tags.filter((t) => t.name === 'td' && !t.close && classes(t).includes('c'));
        expect(tds).to.have.length(run.steps.reduce((a, s) => a + s.cells.length, 0));
        for (const td of tds) {
          const cell = data.steps[Number(td.attrs.get('data-s'))]?.cells[Number(td.attrs.get('data-c'))];
          expect(cell, 'cell data').to.not.equal(undefined);
          expect(td.attrs.get('aria-label')).to.match(/ to /);
        }
        const withRepro = data.steps.flatMap((s) => s.cells).filter((c) => c.repro !== undefined);
        expect(withRepro.length).to.be.greaterThan(0);
      });

      it('colours wrong, error and warning cells apart and shows a timeline row per step', () => {
        const sum = summarizeRun(run);
        const count = (cls: string): number => tags.filter((t) => t.name === 'td' && classes(t).includes(cls)).length;
        expect(count('fail')).to.equal(sum.wrong);
        expect(count('err')).to.equal(sum.errors);
        expect(count('warn')).to.equal(sum.warnings);
        expect(tags.filter((t) => t.name === 'a' && (t.attrs.get('href') ?? '').startsWith('#step-'))).to.have.length(run.steps.length);
      });
    });
  }

  it('escapes text from the cluster', () => {
    const run = loadFixture('three-way.json');
    run.steps[0]!.cells[0]!.explanation = { summary: '<img src=x onerror=alert(1)>', details: ['</script><b>'] };
    const html = renderHtml(run);
    expect(html).not.to.include('<img src=x');
    expect(html).not.to.include('</script><b>');
    checkNesting(parseTags(html));
  });

  describe('in headless Chromium', function () {
    this.timeout(180_000);
    const chromium = findChromium();
    let dir: string;
    before(function () {
      if (!chromium) {
        console.log('      (skipped: chromium is not installed; bash scripts/ci/install-test-tools.sh, or Debian: apt-get install -y chromium)');
        this.skip();
      }
      dir = mkdtempSync(join(tmpdir(), 'nph-html-'));
    });

    it('runs the page script: each step that needs attention opens on its worst cell', async () => {
      const run = loadFixture('three-way.json');
      const file = join(dir, 'three-way.html');
      writeFileSync(file, renderHtml(run));
      const dom = await dumpDom(chromium!, file);
      expect(dom.match(/<table class="grid"/g)).to.have.length(run.steps.length);
      // The pinned cell's detail replaced the hint in the panel, with the repro command.
      expect(dom.match(/class="c [^"]*sel/g)).to.have.length(1);
      expect(dom).to.include('<div class="cd"><h3>app/client → db:5432/TCP</h3>');
      expect(dom).to.include('kubectl exec -n app client -c probe -- /agnhost connect 10.0.0.3:5432');
    });

    it('shows every column of every step of the seed suite at 1280 px, the DNS column included', async () => {
      const run = await simulatedRun('suites/zero-trust');
      expect(run.axes.columns[run.axes.columns.length - 1]!.kind).to.equal('dns');
      const file = join(dir, 'report.html');
      writeFileSync(file, renderHtml(run).replace('</body>', `${MEASURE_COLUMNS}</body>`));
      const dom = await dumpDom(chromium!, file, { width: 1280, height: 900 });
      const attr = /data-layout="([^"]*)"/.exec(dom);
      expect(attr, 'the measuring script ran').to.not.equal(null);
      const layout = JSON.parse(attr![1]!.replace(/&quot;/g, '"')) as { step: string; clipped: boolean; right: number; viewport: number }[];
      expect(layout).to.have.length(run.steps.length);
      for (const t of layout) {
        expect(t.clipped, `${t.step}: the matrix scrolls (columns hidden)`).to.equal(false);
        expect(t.right, `${t.step}: last column ends at ${t.right} px, past the ${t.viewport} px window`).to.be.at.most(t.viewport);
      }
    });

    it('renders a non-trivial screenshot of the seed-suite report at 1280 px', async () => {
      const file = join(dir, 'report.html');
      const png = join(dir, 'report.png');
      writeFileSync(file, renderHtml(loadFixture('seed-suite.json')));
      await screenshot(chromium!, file, png);
      // A blank 1280x900 PNG is a few kB; the rendered grid is well over 50 kB.
      expect(statSync(png).size).to.be.greaterThan(50_000);
    });
  });
});
