import { expect } from 'chai';
import type { CellResult, RunResult } from '../../../harness/diff/result.js';
import { groupLabel, groupMatrix } from '../../../harness/report/grouping.js';
import { detectTerminal, renderRun, renderStep, stepSummaryLine } from '../../../harness/report/terminal.js';
import { summarize } from '../../../harness/diff/three-way.js';
import { loadFixture } from './golden.js';

const ANSI = new RegExp(`${String.fromCharCode(27)}\\[`);

/** 30 sources in three behaviour classes x 20 destinations: should collapse to a 3 x 2 table. */
function bigRun(): RunResult {
  const sources = Array.from({ length: 30 }, (_, i) => ({ id: `ns${i % 3}/pod${i}`, kind: 'workload' }));
  const columns = Array.from({ length: 20 }, (_, j) => ({ key: `ns${j % 2}/pod${j}:80/TCP`, kind: 'conn' as const, dst: `ns${j % 2}/pod${j}`, port: 80, protocol: 'TCP' }));
  const cells: CellResult[] = [];
  for (const s of sources) {
    for (const c of columns) {
      if (c.dst === s.id) continue;
      // ns0 reaches everything, ns1 reaches ns1 only, ns2 nothing.
      const v = s.id.startsWith('ns0/') || (s.id.startsWith('ns1/') && c.dst.startsWith('ns1/')) ? 'allow' : 'deny';
      cells.push({ src: s.id, col: c.key, expected: v, observed: { class: v === 'allow' ? 'connected' : 'timeout', attempts: 1 } });
    }
  }
  return { schemaVersion: 1, suite: 'big', startedAt: '2026-01-01T00:00:00.000Z', axes: { sources, columns }, steps: [{ name: 'only', cells }] };
}

describe('terminal report', () => {
  it('writes no ANSI codes unless colour is on', () => {
    const run = loadFixture('three-way.json');
    expect(renderRun(run, { color: false, ascii: false })).not.to.match(ANSI);
    expect(renderRun(run, { color: false, ascii: true })).not.to.match(ANSI);
    expect(renderRun(run, { color: true, ascii: false })).to.match(ANSI);
  });

  it('stays pure ASCII in --ascii mode', () => {
    const out = renderRun(loadFixture('seed-suite.json'), { color: false, ascii: true });
    expect(out).to.match(/^[\x20-\x7e\n]*$/);
  });

  it('keys each table beside its title: the comparison always, verdict tables in --ascii (where . and X mean allowed and denied)', () => {
    const run = loadFixture('three-way.json');
    const step = (ascii: boolean): string => renderStep(run.steps[0]!, run.axes, { color: false, ascii, focus: 'all' });
    expect(step(true)).to.match(/^expected {2}\(\. allowed, X denied, # self\/not probed, ~ retried, \? no verdict\)$/m);
    expect(step(true)).to.match(/^comparison {2}\(\. correct, X wrong, ! warning, \? error\)$/m);
    expect(step(false)).to.match(/^expected$/m);
    expect(step(false)).to.match(/^comparison {2}\(\. correct, X wrong, ! warning, \? error\)$/m);
  });

  it('prints the summary line in the documented shape, the distrusted time beside the time to enforce', () => {
    const step = loadFixture('seed-suite.json').steps[1]!;
    expect(stepSummaryLine(summarize(step))).to.equal(
      'step default-deny: correct 60, wrong 0, authoring 0, enforcement 0, errors 0, attempts 165, retried 31, enforced after 1.8 s (+5.2 s distrusted: infrastructure)',
    );
    delete step.infrastructure;
    expect(stepSummaryLine(summarize(step))).to.match(/enforced after 1\.8 s$/);
  });

  it('prints where the run\'s time went: its phases and each step\'s apply/probe/confirm', () => {
    const out = renderRun(loadFixture('seed-suite.json'), { color: false, ascii: true });
    expect(out).to.include('phases: cluster 20.1 s, cni 7.7 s, canary 3.9 s, deploy 8.2 s, settle 10.5 s, cleanup 3.5 s');
    expect(out).to.include('default-deny apply 400 ms, probe 7.4 s, confirm 2.0 s (+5.2 s distrusted: infrastructure)');
  });

  it('headers columns by destination and port/protocol, and DNS checks by name', () => {
    const run = loadFixture('seed-suite.json');
    const out = renderStep(run.steps[0]!, run.axes, { color: false, ascii: true });
    for (const s of ['task-api', '8000/TCP', 'production-db', '5432/TCP', '53/UDP', 'dns', 'backend.', 'develop.svc', 'envoy-gateway-system/gateway']) {
      expect(out).to.include(s);
    }
  });

  it('shows mismatching cells with kind, verdicts, explanation and repro', () => {
    const run = loadFixture('seed-suite.json');
    const out = renderStep(run.steps[5]!, run.axes, { color: false, ascii: true });
    expect(out).to.include('X task-api/task-api -> production-db:5432/TCP  failure, authoring');
    expect(out).to.include('expected allow (rules[3]) | simulated deny | observed deny: timeout, 10 attempts, 3.0 s');
    expect(out).to.include('why: denied: develop/production-db is isolated for ingress');
    expect(out).to.include('repro: kubectl exec -n task-api task-api -c probe -- /agnhost connect 10.244.2.11:5432');
  });

  it('groups identical rows and columns of a large matrix automatically', () => {
    const out = renderRun(bigRun(), { color: false, ascii: true });
    expect(out).to.include('grouped: 30 rows -> 3, 20 columns -> 2');
    expect(out).to.match(/ns0\/pod0, ns0\/pod3, .*\(10 rows\)/);
    expect(out).to.include('(10 cols)');
    // header + separator + 3 rows + borders, not 30 rows
    const table = out.split('\n').filter((l) => l.startsWith('| ns'));
    expect(table).to.have.length(3);
  });

  it('does not group when asked not to', () => {
    const out = renderRun(bigRun(), { color: false, ascii: true, group: false });
    expect(out.split('\n').filter((l) => l.startsWith('| ns'))).to.have.length(30);
  });

  it('--focus wrong prints no tables, one line per clean step', () => {
    const out = renderRun(loadFixture('seed-suite.json'), { color: false, ascii: true, focus: 'wrong' });
    expect(out).not.to.include('+---');
    expect(out.split('\n').filter((l) => l.startsWith('step '))).to.have.length(7);
    expect(out).to.include('repro: kubectl exec');
  });

  it('still shows cells whose source or column the axes do not list', () => {
    const run = loadFixture('three-way.json');
    const bare = { ...run, axes: { sources: [], columns: [] } };
    const out = renderRun(bare, { color: false, ascii: true });
    expect(out).to.include('other/attacker');
    expect(out).to.include('app/db');
    expect(out).to.include('dns:server.app.svc');
  });

  describe('grouping', () => {
    it('treats the self cell as a wildcard so rows differing only there merge', () => {
      const g = groupMatrix(
        [
          ['#', 'X', 'X'],
          ['X', '#', 'X'],
          ['.', '.', '#'],
        ],
        '#',
      );
      expect(g.rows).to.deep.equal([[0, 1], [2]]);
      // Columns then merge too: the remaining wildcard in row 2 matches column 0/1's '.'.
      expect(g.cols).to.deep.equal([[0, 1, 2]]);
      expect(g.cells).to.deep.equal([['X'], ['.']]);
    });

    it('labels groups and shortens long lists', () => {
      expect(groupLabel(['frontend', 'backend'], 'rows')).to.equal('frontend, backend (2 rows)');
      expect(groupLabel(['a'.repeat(20), 'b'.repeat(20), 'c'.repeat(20)], 'rows')).to.equal(`${'a'.repeat(20)}, +2 more (3 rows)`);
    });
  });

  describe('detectTerminal', () => {
    it('colours only a TTY without NO_COLOR', () => {
      expect(detectTerminal({ isTTY: true }, { LANG: 'en_US.UTF-8' }).color).to.equal(true);
      expect(detectTerminal({ isTTY: false }, { LANG: 'en_US.UTF-8' }).color).to.equal(false);
      expect(detectTerminal({ isTTY: true }, { LANG: 'en_US.UTF-8', NO_COLOR: '1' }).color).to.equal(false);
    });

    it('falls back to ASCII when the locale is not UTF-8', () => {
      expect(detectTerminal({}, { LANG: 'C' }).ascii).to.equal(true);
      expect(detectTerminal({}, { LC_ALL: 'C.UTF-8' }).ascii).to.equal(false);
      expect(detectTerminal({}, { CI: 'true' }).ascii).to.equal(false);
    });
  });
});
