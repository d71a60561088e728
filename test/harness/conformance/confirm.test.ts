// Deviations are confirmed before they are reported (harness/conformance/confirm.ts): a case that
// deviated in its round is re-run alone with a long settle; conforming then means slow to enforce,
// never deviating; only a deviation that shows again counts; runs that cannot judge decide nothing.
import { expect } from 'chai';
import type { CellResult, ObservedClass, RunResult, StepResult } from '../../../harness/diff/result.js';
import { confirmDeviations, confirmSettleMs, CONFIRM_MIN_SETTLE_MS } from '../../../harness/conformance/confirm.js';
import { generateBattery, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { renderConformance } from '../../../harness/conformance/render.js';
import { judge } from '../../../harness/conformance/verdict.js';
import type { SourcedPolicy } from '../../../harness/policy/types.js';
import type { StepSpec } from '../../../harness/suite/schema.js';
import { probedCells, type FakeCell } from './fake-run.js';

type Observe = (caseId: string, c: FakeCell, confirmation: number | undefined) => { cls: ObservedClass; at?: number };

/** A session over `b` whose probes answer `observe`; confirmation steps are appended as the real session does. */
function fakeSession(b: GeneratedBattery, observe: Observe) {
  const run: RunResult = { schemaVersion: 1, suite: 'conformance', startedAt: '2026-01-01T00:00:00.000Z', cluster: { provider: 'kind', cni: 'calico' }, profile: 'calico', profileSource: 'cni', axes: { sources: [], columns: [] }, steps: [] };
  const settles: (number | undefined)[] = [];
  const runStep = (name: string | number, over: { settleMs?: number } = {}): Promise<StepResult> => {
    const i = typeof name === 'number' ? name : b.loaded.suite.steps.findIndex((s) => s.name === name);
    settles.push(over.settleMs);
    const k = b.steps[i]!.confirmation;
    const cells = probedCells(b)[i]!.map(({ caseId, cell }): CellResult => {
      const o = observe(caseId, cell, k);
      return { src: cell.src, col: cell.col, expected: cell.v, simulated: cell.v, observed: { class: o.cls, attempts: 1 }, ...(o.at !== undefined ? { enforcedAtMs: o.at } : {}) };
    });
    const step: StepResult = { name: b.loaded.suite.steps[i]!.name, cells };
    run.steps.push(step);
    return Promise.resolve(step);
  };
  const appendSteps = (steps: StepSpec[], policies: ReadonlyMap<string, SourcedPolicy[]>): void => {
    for (const [id, docs] of policies) b.loaded.policies.set(id, docs);
    b.loaded.suite.steps.push(...steps);
  };
  return { run, settles, session: { runStep, appendSteps } };
}

const spec = (c: FakeCell): ObservedClass => (c.v === 'allow' ? 'connected' : 'timeout');

describe('conformance/confirm', () => {
  it('a case that deviates in its round but conforms alone with a long settle is conforming and slow to enforce, never deviating', async () => {
    const b = generateBattery({ focus: ['isolation-egress', 'port-range'], lanes: 2 });
    // iso-egress lags in its round (x/a still reaches everything), then enforces after 15.8 s alone.
    const { run, settles, session } = fakeSession(b, (id, c, k) => (id === 'iso-egress' && k === undefined ? { cls: 'connected' } : { cls: spec(c), at: id === 'iso-egress' ? 15_800 : 900 }));
    for (let i = 0; i < b.loaded.suite.steps.length; i++) await session.runStep(i);
    const judgeRun = () => judge(run, b.cases, b.steps, { sctpTestable: false, confirmSettleMs: 40_000 });
    expect(judgeRun().cases.find((c) => c.id === 'iso-egress')!.status).to.equal('deviates');
    const runs = await confirmDeviations(session, b, { maxRuns: 3, settleMs: 40_000, withExternal: true, judge: judgeRun });
    expect(runs).to.equal(1);
    expect(settles.at(-1)).to.equal(40_000);
    const r = judgeRun();
    const iso = r.cases.find((c) => c.id === 'iso-egress')!;
    expect(iso).to.deep.include({ status: 'conforms', slowToEnforce: true, confirmation: { runs: 1, outcome: 'cleared', roundDeviations: iso.confirmation!.roundDeviations } });
    expect(iso.confirmation!.roundDeviations).to.be.greaterThan(0);
    expect(iso.deviations).to.deep.equal([]);
    expect(iso.timeToEnforceMs).to.deep.equal([15_800]);
    expect(r.cases.every((c) => c.status === 'conforms')).to.equal(true);
    expect(r.confirmation).to.deep.equal({ settleMs: 40_000, cases: 1, runs: 1, cleared: ['iso-egress'], reproduced: [], undetermined: [] });
    // Its time is in the time-to-enforce table (the re-run's cells, not the round's "never").
    const create = r.timing.find((t) => t.change === 'policy-create')!;
    expect(create.maxMs).to.equal(15_800);
    expect(create.never).to.equal(0);
    expect(r.features.find((f) => f.feature === 'isolation-egress')).to.deep.include({ status: 'conforms', slow: ['iso-egress: slow to enforce, 15.8 s (conformed when re-run alone)'] });
    expect(r.packing!.steps).to.equal(b.loaded.suite.steps.length - 1);
    const md = renderConformance(r);
    expect(md).not.to.include('DEVIATES');
    expect(md).to.include('iso-egress: slow to enforce, 15.8 s').and.include('Confirmation: 1 case(s) deviated in their round and were re-run alone with a 40.0 s settle (1 confirmation run(s)): 1 conformed (slow to enforce: iso-egress).');
  });

  it('a deviation that shows again alone is confirmed: one run, reported deviating with the re-run\'s cells', async () => {
    const b = generateBattery({ focus: ['port-range'], lanes: 1 });
    // endPort ignored: 81 stays closed is right, but 80 (inside 79-80) is denied too.
    const { run, session } = fakeSession(b, (_, c) => ({ cls: c.col.endsWith(':80/TCP') && c.col.startsWith('x/a') ? 'timeout' : spec(c), at: 500 }));
    for (let i = 0; i < b.loaded.suite.steps.length; i++) await session.runStep(i);
    const judgeRun = () => judge(run, b.cases, b.steps, { sctpTestable: false });
    expect(await confirmDeviations(session, b, { maxRuns: 3, settleMs: 40_000, withExternal: true, judge: judgeRun })).to.equal(1);
    const pr = judgeRun().cases.find((c) => c.id === 'port-range')!;
    expect(pr.status).to.equal('deviates');
    expect(pr.confirmation).to.deep.equal({ runs: 1, outcome: 'reproduced', roundDeviations: pr.deviations.length });
    expect(pr.deviations[0]!.step).to.match(/^confirm-1-/);
    expect(pr.slowToEnforce).to.equal(undefined);
  });

  it('confirmation runs that cannot judge (probe errors) decide nothing: retried up to --confirm-runs, then no verdict', async () => {
    const b = generateBattery({ focus: ['port-range'], lanes: 1 });
    const { run, session } = fakeSession(b, (_, c, k) => (k !== undefined ? { cls: 'error' } : { cls: c.col.startsWith('x/a:80') ? 'timeout' : spec(c) }));
    for (let i = 0; i < b.loaded.suite.steps.length; i++) await session.runStep(i);
    const judgeRun = () => judge(run, b.cases, b.steps, { sctpTestable: false });
    expect(await confirmDeviations(session, b, { maxRuns: 2, settleMs: 40_000, withExternal: true, judge: judgeRun })).to.equal(2);
    const r = judgeRun();
    const pr = r.cases.find((c) => c.id === 'port-range')!;
    expect(pr.status).to.equal('not testable');
    expect(pr.confirmation).to.deep.include({ runs: 2, outcome: 'undetermined' });
    expect(pr.notTestableReason).to.match(/2 confirmation run\(s\) alone could not judge every cell/);
    expect(r.confirmation).to.deep.include({ cases: 1, runs: 2, undetermined: ['port-range'] });
  });

  it('confirmation runs settle four times longer than the run, at least 40 s', () => {
    expect(confirmSettleMs(10_000)).to.equal(CONFIRM_MIN_SETTLE_MS);
    expect(confirmSettleMs(30_000)).to.equal(120_000);
  });
});
