// Judging a battery run: fake runs built from the generated suite's own expectations (the cells
// each round probes: its cases' lanes), with the observed classes and per-cell times chosen per
// test, so each verdict, style, timing and suggestion is forced by the data.
import { expect } from 'chai';
import type { CellResult, ObservedClass, RunResult } from '../../../harness/diff/result.js';
import { generateBattery } from '../../../harness/conformance/generate.js';
import { fakeRunOf, probedCells, type FakeCell, type Observe } from './fake-run.js';
import { renderConformance } from '../../../harness/conformance/render.js';
import { denyStyle, judge, notEnforcingReport, percentile } from '../../../harness/conformance/verdict.js';
import { parseFocus } from '../../../harness/cli/commands/conformance.js';
import { UsageError } from '../../../harness/errors.js';
import { kubeRouter } from '../../../harness/policy/profiles.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';

describe('conformance: verdicts', function () {
  this.timeout(60_000);
  const b = generateBattery({ focus: ['isolation-ingress', 'isolation-egress', 'port-range', 'ipblock', 'ipblock-except', 'protocol-sctp'] });
  const fakeRun = (observe: Observe, tte: (i: number) => number | undefined = (i) => 100 * (i + 1)) => fakeRunOf(b, observe, { tte });
  const asSpec = (_: string, c: { v: string }): ObservedClass => (c.v === 'allow' ? 'connected' : 'refused');

  it('a CNI doing what the spec says conforms on every feature; reject-style denies are seen as reject', () => {
    const r = judge(fakeRun(asSpec), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.every((c) => c.status === 'conforms')).to.equal(true);
    expect(r.features.map((f) => f.status)).to.satisfy((s: string[]) => s.every((x) => x === 'conforms'));
    expect(r.denyStyle.ingress.style).to.equal('reject');
    expect(r.denyStyle.egress.style).to.equal('reject');
    expect(r.features.find((f) => f.feature === 'protocol-sctp')!.note).to.match(/not testable/);
    expect(r.profile.matching).to.include.members(['calico', 'kube-router']);
    expect(r.profile.matching).not.to.include('none');
    expect(r.profile.suggested).to.equal('kube-router');
  });

  it('drop on egress and reject on ingress are told apart per direction', () => {
    const egressCases = new Set(b.cases.filter((c) => c.direction === 'egress').map((c) => c.id));
    const r = judge(fakeRun((caseId, c) => (c.v === 'allow' ? 'connected' : egressCases.has(caseId) ? 'timeout' : 'refused')), b.cases, b.steps, { sctpTestable: false });
    expect(r.denyStyle.ingress).to.include({ style: 'reject', timeout: 0 });
    expect(r.denyStyle.egress).to.include({ style: 'drop', refused: 0 });
  });

  it('deny style: refusals prove reject even when rate-limited ICMP errors turn most denies into timeouts', () => {
    // kube-router at full probing speed: 15 of 157 egress denies refused, the rest timed out
    expect(denyStyle(15, 142).style).to.equal('reject');
    expect(denyStyle(397, 415).style).to.equal('reject');
    expect(denyStyle(0, 157).style).to.equal('drop');
    expect(denyStyle(2, 5000).style, 'a stray refusal or two').to.equal('mixed');
    expect(denyStyle(0, 0).style).to.equal('unknown');
  });

  it('a CNI that enforces nothing deviates on every isolation case and matches only the none profile', () => {
    const r = judge(fakeRun(() => 'connected', () => 0), b.cases, b.steps, { sctpTestable: false });
    const iso = r.features.find((f) => f.feature === 'isolation-ingress')!;
    expect(iso.status).to.equal('deviates');
    expect(iso.deviating[0]).to.match(/deny->connected/);
    expect(r.cases.filter((c) => c.status === 'conforms').map((c) => c.id)).to.deep.equal(['iso-types-win']);
    expect(r.profile.matching).to.deep.equal(['none']);
  });

  it('a CNI ignoring except and endPort is matched by no profile, and the table names the cells', () => {
    const r = judge(
      fakeRun((step, c) => {
        if (step === 'ipblock-except-pods' && /^x(-\d+)?\/a:/.test(c.col)) return 'connected';
        if (step === 'port-range' && /^x(-\d+)?\/a:80\/TCP$/.test(c.col)) return 'refused';
        return asSpec(step, c);
      }),
      b.cases,
      b.steps,
      { sctpTestable: false },
    );
    expect(r.profile.observed).to.include({ exceptSupported: false, endPortSupported: false, enforces: true });
    expect(r.profile.matching).to.deep.equal([]);
    const md = renderConformance(r);
    expect(md).to.match(/port ranges \(endPort\).*DEVIATES.*port-range: \d+ cell\(s\) \(allow->refused\)/);
    expect(md).to.include('no engine profile matches');
  });

  it('errors are not verdicts: a case with unjudged cells and no deviation is not testable', () => {
    const r = judge(fakeRun((step, c) => (step === 'port-range' ? 'error' : asSpec(step, c))), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.find((c) => c.id === 'port-range')!.status).to.equal('not testable');
    expect(r.features.find((f) => f.feature === 'port-range')!.status).to.equal('not testable');
  });

  it('time to enforce, per cell: p50/p95/max per kind of change over the cells the change flipped; cells that never kept their verdict apart', () => {
    const d = generateBattery({ focus: ['dynamic-delete', 'isolation-egress'] });
    const cells = probedCells(d);
    // A denied cell takes 1000 ms plus its index; one of them never settles; allowed cells are at 0.
    const denied = cells.flatMap((step, i) => step.map((x, j) => ({ ...x, i, j }))).filter((x) => x.cell.v === 'deny');
    const never = denied[3]!;
    const at = (caseId: string, c: FakeCell, step: number) => {
      if (c.v === 'allow') return step === 1 && caseId === 'delete' ? 700 : 0;
      const k = denied.findIndex((x) => x.i === step && x.cell.src === c.src && x.cell.col === c.col);
      return k === 3 ? undefined : 1000 + k;
    };
    // The first probe went out 700 ms after each change: the delete's cells were right by then.
    const r = judge(fakeRunOf(d, asSpec, { at, firstProbe: 700 }), d.cases, d.steps, { sctpTestable: false });
    const create = r.timing.find((t) => t.change === 'policy-create')!;
    // Every create starts in a fresh lane (default allow): its flipped cells are its denied ones.
    const times = denied.map((_, k) => 1000 + k).filter((_, k) => k !== 3).sort((x, y) => x - y);
    expect(create).to.include({ basis: 'cells', samples: denied.length, never: 1, p50Ms: percentile(times, 50), p95Ms: percentile(times, 95), maxMs: times.at(-1) });
    expect(create.steps).to.equal(d.steps.flatMap((m) => m.cases).filter((p) => p.change === 'policy-create').length);
    // The delete flips the cells the create denied (deny -> allow), each enforced at 700 ms.
    const del = r.timing.find((t) => t.change === 'policy-delete')!;
    const deleteDenied = cells[0]!.filter((x) => x.caseId === 'delete' && x.cell.v === 'deny').length;
    expect(del).to.include({ samples: deleteDenied, never: 0, p50Ms: 700, maxMs: 700, atFirstProbe: deleteDenied });
    expect(create.atFirstProbe).to.equal(0);
    // A case's time per step is its slowest cell; undefined when one never kept its verdict.
    const owner = r.cases.find((c) => c.id === never.caseId)!;
    expect(owner.timeToEnforceMs[0]).to.equal(undefined);
    const other = r.cases.find((c) => c.id !== never.caseId && c.id !== 'delete')!;
    expect(other.timeToEnforceMs[0]).to.be.greaterThanOrEqual(1000);
    expect(renderConformance(r)).to.include('Time to enforce (per cell').and.match(/\| policy-delete \| 1 \| \d+ cells \| 0\.70 s \| 0\.70 s \| 0\.70 s \| \d+ \| 0 \|/);
    expect(r.packing).to.deep.include({ rounds: d.rounds.length, steps: d.loaded.suite.steps.length });
  });

  it('time to enforce, per step, for runs without per-cell times', () => {
    const r = judge(fakeRun(asSpec, (i) => (i === 0 ? undefined : 100 * i)), b.cases, b.steps, { sctpTestable: false });
    const create = r.timing.find((t) => t.change === 'policy-create')!;
    expect(create.basis).to.equal('steps');
    // Step 0 never matched: every case creating its policy in it counts once.
    expect(create.never).to.equal(b.steps[0]!.cases.filter((p) => p.change === 'policy-create').length).and.greaterThan(1);
    expect(create.maxMs).to.be.greaterThanOrEqual(create.p95Ms!).and.greaterThanOrEqual(create.p50Ms!);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50)).to.equal(5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95)).to.equal(10);
    expect(percentile([], 50)).to.equal(undefined);
  });

  it('named ports on kube-router: deviations the kube-router profile predicts are reported as such, others as engine bugs', () => {
    const nb = generateBattery({ focus: ['port-named'], lanes: 1 });
    const addresses = new Map(nb.loaded.suite.workloads.map((w, i) => [`${w.namespace}/${w.name}`, `192.168.1.${10 + i}`]));
    /** Cells as a kube-router run records them: simulated under its profile; observed = the simulation, or `observe`. */
    const krRun = (observe: (step: string, c: CellResult) => ObservedClass | undefined): RunResult => ({
      schemaVersion: 1,
      suite: 'conformance',
      startedAt: '2026-01-01T00:00:00.000Z',
      cluster: { provider: 'kind', cni: 'kube-router' },
      axes: { sources: [], columns: [] },
      steps: nb.loaded.suite.steps.map((s, i) => {
        const sim = simulateStep(nb.loaded, i, { addresses, profile: kubeRouter });
        const exp = expectedMatrix(nb.loaded, i, { addresses, profile: kubeRouter }, sim);
        const cells = [...exp.cells()].filter((c) => c.value).map(({ src, col, value }): CellResult => {
          const sc = sim.get(src.id, col.key)!;
          const cell: CellResult = { src: src.id, col: col.key, expected: value!.verdict, simulated: sc.verdict, ...(sc.engineVerdict === 'unknown' ? { engineUnknown: true as const } : {}) };
          return { ...cell, observed: { class: observe(s.name, cell) ?? (sc.verdict === 'allow' ? 'connected' : 'refused'), attempts: 1 } };
        });
        return { name: s.name, cells };
      }),
    });
    // What the battery saw on kube-router: egress as the union, ingress 80 open on x/c (an order-dependent cell).
    const seen = krRun((step, c) => (step === 'named-port-ingress' && c.col === 'x/c:80/TCP' ? 'connected' : undefined));
    const r = judge(seen, nb.cases, nb.steps, { sctpTestable: false });
    const byId = new Map(r.cases.map((c) => [c.id, c]));
    expect(byId.get('named-port-egress')).to.include({ status: 'deviates', asProfilePredicts: true });
    expect(byId.get('named-port-egress')!.deviations).to.have.length(12);
    expect(byId.get('named-port-egress')!.engineDisagreements).to.have.length(12);
    expect(byId.get('named-port-ingress')).to.include({ status: 'deviates', asProfilePredicts: true });
    expect(byId.get('named-port-ingress')!.engineDisagreements).to.deep.equal([]);
    const md = renderConformance(r);
    expect(md).to.include('as the kube-router engine profile predicts');
    expect(md).to.match(/Deviates from spec as the kube-router engine profile predicts .*: named-port-ingress, named-port-egress/);
    expect(md).not.to.include('an engine bug');
    // A cell kube-router does not open although the profile says it does: not predicted, an engine bug.
    const wrong = judge(krRun((step, c) => (step === 'named-port-egress' && c.src === 'x/a' && c.col === 'y/c:80/TCP' ? 'refused' : undefined)), nb.cases, nb.steps, { sctpTestable: false });
    const eg = wrong.cases.find((c) => c.id === 'named-port-egress')!;
    expect(eg.asProfilePredicts).to.equal(undefined);
    expect(eg.deviations.filter((d) => !d.predicted)).to.deep.equal([]);
    expect(eg.deviations).to.have.length(11);
    expect(renderConformance(wrong)).to.match(/12 cell\(s\) disagree where the CNI did not deviate as predicted \(an engine bug\)/);
    // The same observations on a cluster whose CNI has no profile (not detected, no --cni): the
    // engine's simulation is no statement about it, so neither "an engine bug" nor "as predicted".
    const unknownRun = (run: RunResult): RunResult => ({ ...run, cluster: { provider: 'existing', cni: 'unknown' }, profile: 'kube-router', profileSource: 'unknown' });
    for (const observed of [seen, krRun((step, c) => (step === 'named-port-egress' && c.src === 'x/a' && c.col === 'y/c:80/TCP' ? 'refused' : undefined))]) {
      const u = judge(unknownRun(observed), nb.cases, nb.steps, { sctpTestable: false });
      expect(u.engineProfile).to.deep.equal({ name: 'kube-router', source: 'unknown' });
      expect(u.cases.filter((c) => c.asProfilePredicts)).to.deep.equal([]);
      expect(u.cases.flatMap((c) => c.deviations).filter((d) => d.predicted)).to.deep.equal([]);
      const text = renderConformance(u);
      expect(text).not.to.include('engine bug');
      expect(text).not.to.include('profile predicts');
      expect(text).to.match(/no profile of unknown was detected or given \(--cni\), so these say nothing about the engine or the CNI/);
    }
  });

  it('records the CNI as detected or installed (version, dataplane, evidence) and where the engine profile came from', () => {
    const nb = generateBattery({ focus: ['isolation-ingress'], lanes: 1 });
    const run: RunResult = {
      ...fakeRunOf(nb, asSpec),
      cluster: { provider: 'existing', cni: 'calico', cniVersion: 'v3.32.1', dataplane: 'nftables', cniEvidence: 'DaemonSet calico-system/calico-node (image quay.io/calico/node:v3.32.1)' },
      profile: 'calico',
      profileSource: 'cni',
    };
    const r = judge(run, nb.cases, nb.steps, { sctpTestable: false });
    expect(r).to.deep.include({ cni: 'calico', cniVersion: 'v3.32.1', dataplane: 'nftables', engineProfile: { name: 'calico', source: 'cni' } });
    expect(r.cniEvidence).to.match(/calico-system\/calico-node/);
    const md = renderConformance(r);
    expect(md).to.include('## NetworkPolicy conformance: calico v3.32.1, nftables dataplane (existing)');
    expect(md).to.include("Simulated with the **calico** engine profile (the CNI's own)");
  });

  it('ClusterNetworkPolicy cases are "not testable", with the tier canary\'s reason, when the run says so; judged like any case when tiers are enforced', () => {
    const t = generateBattery({ focus: ['tier-admin-deny', 'tier-admin-pass', 'tier-baseline-deny'] });
    expect(t.cases.map((c) => c.id)).to.deep.equal(['tier-admin-deny', 'tier-admin-pass', 'tier-baseline-deny']);
    const why = 'not testable on this CNI: the step depends on ClusterNetworkPolicy (admin-deny-y-to-x), and the cluster does not serve the ClusterNetworkPolicy API';
    const r = judge(fakeRunOf(t, () => 'refused', { notTestable: () => why }), t.cases, t.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['not testable', 'not testable', 'not testable']);
    expect(r.cases.every((c) => c.notTestableReason === why && c.deviations.length === 0)).to.equal(true);
    expect(r.features.filter((f) => f.feature.startsWith('tier-')).every((f) => f.status === 'not testable' && f.note === why)).to.equal(true);
    expect(renderConformance(r)).to.include('not testable').and.include('does not serve the ClusterNetworkPolicy API').and.not.include('DEVIATES');
    const enforced = judge(fakeRunOf(t, asSpec), t.cases, t.steps, { sctpTestable: false });
    expect(enforced.cases.map((c) => c.status)).to.deep.equal(['conforms', 'conforms', 'conforms']);
    const wrong = judge(fakeRunOf(t, () => 'connected'), t.cases, t.steps, { sctpTestable: false });
    expect(wrong.cases.map((c) => c.status)).to.deep.equal(['deviates', 'deviates', 'deviates']);
  });

  it('a failed canary gives a report that says the CNI does not enforce NetworkPolicy, and nothing else', () => {
    const r = notEnforcingReport('calico', 'existing', 'client -> server stayed allowed after a deny-all policy');
    expect(r.profile.suggested).to.equal('none');
    expect(r.cases).to.deep.equal([]);
    const md = renderConformance(r);
    expect(md).to.include('This CNI does not enforce NetworkPolicy').and.include('stayed allowed').and.include('No case was run');
    expect(md).not.to.include('| feature |');
  });

  it('--focus: known features pass; unknown ones are a usage error listing every feature', () => {
    expect(parseFocus('isolation-ingress, port-range')).to.deep.equal(['isolation-ingress', 'port-range']);
    expect(parseFocus(undefined)).to.deep.equal([]);
    expect(() => parseFocus('isolation,port-range')).to.throw(UsageError, /unknown feature "isolation"/).with.property('hint').that.includes('dynamic-join');
    expect(() => parseFocus(',')).to.throw(UsageError);
  });
});
