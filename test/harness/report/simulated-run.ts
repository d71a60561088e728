// Helpers for the HTML layout check: a run of a real suite built from the engine's simulation (no
// cluster), and a page script that measures where each step's last column ends.
import type { RunResult } from '../../../harness/diff/result.js';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { simulateStep } from '../../../harness/policy/simulate.js';
import { loadValidSuite } from '../../../harness/suite/validate.js';

/** A passing run of a suite whose every cell is what the engine simulates (no cluster). */
export async function simulatedRun(suite: string): Promise<RunResult> {
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
export const MEASURE_COLUMNS = `<script>addEventListener('load', () => {
  document.querySelectorAll('details').forEach((d) => { d.open = true; });
  const out = [...document.querySelectorAll('table.grid')].map((t) => {
    const wrap = t.closest('.gridwrap');
    const last = [...t.querySelectorAll('thead tr.port th')].pop();
    const r = last.getBoundingClientRect();
    return { step: t.dataset.step, clipped: wrap.scrollWidth > wrap.clientWidth + 1, right: Math.round(r.right), viewport: document.documentElement.clientWidth };
  });
  document.body.setAttribute('data-layout', JSON.stringify(out));
});</script>`;
