// The HTML report's layout in a real browser at 1280 px: every column of every step is on screen
// (not clipped by the matrix's scroll box, not pushed past the page edge by the detail panel). The
// run is the seed suite as it is today (9 sources x 9 columns: an external and a DNS column at the
// right), every cell as the engine simulates it, so the test follows the suite.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunResult } from '../../../harness/diff/result.js';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { simulateStep } from '../../../harness/policy/simulate.js';
import { renderHtml } from '../../../harness/report/html.js';
import { loadValidSuite } from '../../../harness/suite/validate.js';
import { dumpDom, findChromium } from '../../../scripts/screenshot-report.js';

/** A passing run of a suite whose every cell is what the engine simulates (no cluster). */
async function simulatedRun(suite: string): Promise<RunResult> {
  const { loaded } = await loadValidSuite(suite);
  const axes = buildAxes(loaded.suite);
  return {
    schemaVersion: 1,
    suite: loaded.suite.metadata.name,
    startedAt: '2026-03-14T02:00:00.000Z',
    cluster: { provider: 'kind', name: 'nph-layout', cni: 'calico', nodes: 3 },
    axes: {
      sources: axes.sources.map((s) => ({ id: s.id, kind: s.kind })),
      columns: axes.columns.map((c) => (c.kind === 'dns' ? { key: c.key, kind: 'dns' as const, name: c.name } : { key: c.key, kind: 'conn' as const, dst: c.dst, port: c.port, protocol: c.protocol })),
    },
    steps: loaded.suite.steps.map((step, i) => ({
      name: step.name,
      durationMs: 5000,
      attempts: 100,
      cells: [...simulateStep(loaded, i, {}).cells()].map(({ src, col, value }) => ({
        src: src.id,
        col: col.key,
        expected: value!.verdict,
        simulated: value!.verdict,
        observed: { class: value!.verdict === 'allow' ? ('connected' as const) : ('timeout' as const), verdict: value!.verdict, attempts: 1 },
      })),
    })),
  };
}

// Runs in the page after load: per step table, is the last column inside both its scroll box and the window?
const MEASURE = `<script>addEventListener('load', () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const out = [...document.querySelectorAll('table.grid')].map((t) => {
    const wrap = t.closest('.gridwrap');
    const last = [...t.querySelectorAll('thead tr.port th')].pop();
    const r = last.getBoundingClientRect();
    return { step: t.dataset.step, clipped: wrap.scrollWidth > wrap.clientWidth + 1, right: Math.round(r.right), viewport: document.documentElement.clientWidth };
  });
  document.body.setAttribute('data-layout', JSON.stringify(out));
});</script>`;

describe('report/html layout in headless Chromium', function () {
  this.timeout(180_000);
  const chromium = findChromium();
  let dir: string;
  before(function () {
    if (!chromium) {
      console.log('      (skipped: chromium is not installed; Debian: apt-get install -y chromium)');
      this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'nph-html-layout-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('shows every column of every step of the seed suite at 1280 px, the DNS column included', async () => {
    const run = await simulatedRun('suites/zero-trust');
    expect(run.axes.columns[run.axes.columns.length - 1]!.kind).to.equal('dns');
    const file = join(dir, 'report.html');
    writeFileSync(file, renderHtml(run).replace('</body>', `${MEASURE}</body>`));
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
});
