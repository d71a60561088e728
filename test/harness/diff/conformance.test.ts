// `diff` on two conformance.json reports: the reports are judged by the verdict code from fake runs of
// a generated battery (no cluster), written as the conformance command writes them, and diffed
// through runDiff as the user runs it.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runDiff } from '../../../harness/cli/commands/diff.js';
import type { Feature } from '../../../harness/conformance/features.js';
import { generateBattery, type GeneratedBattery } from '../../../harness/conformance/generate.js';
import { judge, notEnforcingReport } from '../../../harness/conformance/verdict.js';
import { caseStepNumber, diffConformance, laneFree } from '../../../harness/diff/conformance.js';
import type { ObservedClass, RunResult } from '../../../harness/diff/result.js';
import { EXIT, InputError } from '../../../harness/errors.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { fakeRunOf } from '../conformance/fake-run.js';
import { loadFixture } from '../report/golden.js';

const ALL: Feature[] = ['isolation-ingress', 'port-range', 'dynamic-update'];
const batteries = new Map<string, GeneratedBattery>();
const batteryOf = (lanes: number, focus: Feature[]): GeneratedBattery => {
  const key = `${lanes} ${focus.join(',')}`;
  if (!batteries.has(key)) batteries.set(key, generateBattery({ focus, lanes }));
  return batteries.get(key)!;
};

interface Judged {
  lanes?: number;
  focus?: Feature[];
  /** The class observed on a cell (lane-free src and col) instead of the spec's; undefined: as the spec says. */
  deviate?: (caseId: string, src: string, col: string, expected: 'allow' | 'deny') => ObservedClass | undefined;
  /** How denied cells answer: timeout (drop, the default) or refused (reject). */
  deny?: 'timeout' | 'refused';
  /** Every step's time to enforce (step-level). */
  tteMs?: number;
}

/** A judged conformance report as conformance.json holds it (JSON round trip). */
function judged(o: Judged = {}): unknown {
  const b = batteryOf(o.lanes ?? 1, o.focus ?? ALL);
  const run: RunResult = fakeRunOf(
    b,
    (caseId, c) => o.deviate?.(caseId, laneFree(c.src), laneFree(c.col), c.v) ?? (c.v === 'allow' ? 'connected' : (o.deny ?? 'timeout')),
    { tte: () => o.tteMs ?? 300 },
  );
  return JSON.parse(JSON.stringify(judge(run, b.cases, b.steps, { sctpTestable: false }, b.leftOut))) as unknown;
}

/** port-range: the allowed cells to x/b:80/TCP time out (the CNI ignores endPort, say). */
const portRangeDrops = (extra?: string, cls: ObservedClass = 'timeout') => (caseId: string, _src: string, col: string, expected: 'allow' | 'deny') =>
  caseId === 'port-range' && expected === 'allow' && (col === 'x/b:80/TCP' || col === extra) ? cls : undefined;

describe('conformance diff', function () {
  this.timeout(60_000);
  let dir: string;
  let n = 0;
  const write = (doc: unknown): string => {
    const f = join(dir, `c${++n}.json`);
    writeFileSync(f, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
    return f;
  };
  const diff = (a: unknown, b: unknown, output: 'text' | 'json' = 'text') => runDiff(write(a), write(b), { output, color: false });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nph-cdiff-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('pure', () => {
    it('matches cells across packings: the case step number and lane-free endpoints', () => {
      expect(laneFree('x-2/a')).to.equal('x/a');
      expect(laneFree('y-1/b:80/TCP')).to.equal('y/b:80/TCP');
      expect(laneFree('x/a')).to.equal('x/a');
      expect(laneFree('external:ext:80/TCP')).to.equal('external:ext:80/TCP');
      expect(caseStepNumber('delete', 'delete-2')).to.equal('2');
      expect(caseStepNumber('delete', 'round-1-2')).to.equal('2');
      expect(caseStepNumber('iso-ingress', 'iso-ingress')).to.equal('1');
      expect(caseStepNumber('iso-ingress', 'round-4')).to.equal('1');
    });

    it('finds nothing between a report judged from one packing and from another (1 lane vs 3)', () => {
      // The same CNI behaviour: iso-ingress lets the denied cells into x/a:80/TCP through. With 3
      // lanes iso-ingress runs in lane 2 (x-2/...) in step round-1-1: still the same cells.
      const deviate = (caseId: string, _s: string, col: string, e: string): ObservedClass | undefined => (caseId === 'iso-ingress' && e === 'deny' && col === 'x/a:80/TCP' ? 'connected' : undefined);
      const one = judged({ deviate }) as Parameters<typeof diffConformance>[0];
      const three = judged({ deviate, lanes: 3 }) as Parameters<typeof diffConformance>[0];
      const dev = three.cases.find((c) => c.id === 'iso-ingress')!.deviations;
      expect(dev.length).to.be.greaterThan(0);
      expect(dev[0]!.src).to.match(/^[xyz]-2\//);
      const d = diffConformance(one, three);
      expect(d.cases).to.deep.equal([]);
      expect(d.cells).to.deep.equal([]);
      expect(d.unchanged).to.equal(one.cases.length);
    });
  });

  describe('netpol-harness diff old/conformance.json new/conformance.json', () => {
    it('reads a whole battery (the tier cases cite A01-A05, not N ids) and finds nothing against itself', async () => {
      const b = generateBattery({ lanes: 3 });
      const whole = JSON.parse(JSON.stringify(judge(fakeRunOf(b, (_id, c) => (c.v === 'allow' ? 'connected' : 'timeout')), b.cases, b.steps, { sctpTestable: false }, b.leftOut))) as { cases: { spec: string[] }[] };
      expect(whole.cases.flatMap((c) => c.spec)).to.include('A01');
      const r = await diff(whole, whole);
      expect(r.exitCode, r.stdout).to.equal(EXIT.ok);
      expect(r.stdout).to.match(new RegExp(`no behaviour change: .* ${whole.cases.length} cases unchanged`));
    });

    it('exits 0 when nothing changed', async () => {
      const r = await diff(judged({ deviate: portRangeDrops() }), judged({ deviate: portRangeDrops() }));
      expect(r.exitCode).to.equal(EXIT.ok);
      expect(r.stdout).to.match(/^netpol-harness diff \(conformance\): .*c\d+\.json \(kube-router on kind, 4 cases\) -> /);
      expect(r.stdout).to.match(/no behaviour change: 0 features and 0 cases changed verdict, 0 deviating cases changed cells, 4 cases unchanged/);
    });

    it('names a feature that went from conforms to deviates, with its deviating lines, and exits 1', async () => {
      const r = await diff(judged(), judged({ deviate: portRangeDrops() }));
      expect(r.exitCode).to.equal(EXIT.mismatch);
      const lines = r.stdout.split('\n');
      const at = lines.indexOf('feature port-range (port ranges (endPort)): conforms -> DEVIATES');
      expect(at, r.stdout).to.be.greaterThan(0);
      expect(lines[at + 1]).to.match(/^ {4}port-range: \d+ cell\(s\) \(allow->timeout\), e\.g\. .* -> x\/b:80\/TCP/);
      expect(r.stdout).to.match(/case port-range \(.*\): conforms -> DEVIATES\n {4}port-range: .* -> x\/b:80\/TCP expected allow, observed timeout/);
      expect(r.stdout).to.match(/behaviour changed: 1 feature and 1 case changed verdict/);
      // Only port-range changed: isolation and the dynamic cases are not named.
      expect(r.stdout).not.to.match(/feature isolation-ingress|case iso-ingress/);

      const j = await diff(judged(), judged({ deviate: portRangeDrops() }), 'json');
      const doc = JSON.parse(j.stdout) as { kind: string; changed: boolean; before: { cni: string }; features: { feature: string; before: string; after: string }[]; cases: { id: string }[] };
      expect(doc.kind).to.equal('conformance');
      // The shape docs/reports.md documents (#conformance-diff).
      expect(Object.keys(doc).sort()).to.deep.equal(
        ['after', 'before', 'cases', 'cells', 'changed', 'denyStyle', 'features', 'kind', 'onlyAfter', 'onlyBefore', 'profile', 'timing', 'timingThreshold', 'unchanged'],
      );
      expect(doc.changed).to.equal(true);
      expect(doc.before.cni).to.equal('kube-router');
      expect(doc.features.map((f) => [f.feature, f.before, f.after])).to.deep.equal([['port-range', 'conforms', 'deviates']]);
      expect(doc.cases.map((c) => c.id)).to.deep.equal(['port-range']);

      // Many cells: the text lists the first 8 per case, the JSON all of them.
      const wide = (id: string, _s: string, _c: string, e: string): ObservedClass | undefined => (id === 'port-range' && e === 'allow' ? 'timeout' : undefined);
      const many = await diff(judged(), judged({ deviate: wide }));
      const m = /\.\.\. and (\d+) more \(--output json lists them all\)/.exec(many.stdout);
      expect(m, many.stdout).to.not.equal(null);
      const all = JSON.parse((await diff(judged(), judged({ deviate: wide }), 'json')).stdout) as { cases: { deviations: unknown[] }[] };
      expect(all.cases[0]!.deviations.length).to.equal(8 + Number(m![1]));
    });

    it('reports a case that kept deviating on other cells: added, removed and reclassified cells', async () => {
      const old = judged({ deviate: portRangeDrops() });
      const r = await diff(old, judged({ deviate: portRangeDrops('x/c:80/TCP', 'refused') }));
      expect(r.exitCode).to.equal(EXIT.mismatch);
      expect(r.stdout).to.include('case port-range (');
      expect(r.stdout).to.include('still deviates, on other cells:');
      expect(r.stdout).to.match(/ {2}ADDED {3}port-range: .* -> x\/c:80\/TCP expected allow, observed refused/);
      expect(r.stdout).to.match(/ {2}CLASS {3}port-range: .* -> x\/b:80\/TCP expected allow, observed timeout -> refused/);
      expect(r.stdout).not.to.include('REMOVED');
      expect(r.stdout).not.to.include('DEVIATES');
      // And the other way: the x/c cells are gone again.
      const back = await diff(judged({ deviate: portRangeDrops('x/c:80/TCP') }), old, 'json');
      const doc = JSON.parse(back.stdout) as { cells: { id: string; added: unknown[]; removed: { col: string }[]; reclassified: unknown[] }[] };
      expect(doc.cells).to.have.length(1);
      expect(doc.cells[0]!.removed.map((d) => d.col)).to.include('x/c:80/TCP').and.not.include('x/b:80/TCP');
      expect(doc.cells[0]!.added).to.deep.equal([]);
      expect(back.exitCode).to.equal(EXIT.mismatch);
    });

    it('lists cases, features and timings on one side only (a newer battery) without comparing them', async () => {
      const r = await diff(judged({ focus: ['isolation-ingress', 'port-range'] }), judged());
      expect(r.exitCode).to.equal(EXIT.ok);
      expect(r.stdout).to.match(/only in .*c\d+\.json \(not compared\): features peer-pod, dynamic-update; cases update \(conforms\); timing of policy-update/);
      expect(r.stdout.match(/only in /g)).to.have.length(1);
      expect(r.stdout).to.include('no behaviour change');
    });

    it('reports the deny style per direction when it changed (drop -> reject) and exits 1', async () => {
      const r = await diff(judged(), judged({ deny: 'refused' }));
      expect(r.exitCode).to.equal(EXIT.mismatch);
      expect(r.stdout).to.match(/deny style ingress: drop \(0 refused, \d+ timed out\) -> reject \(\d+ refused, 0 timed out\)\n/);
      // No egress case in this focus: unknown on both sides, nothing said.
      expect(r.stdout).not.to.include('deny style egress');
      expect(r.stdout).to.match(/deny style 1 changed/);
    });

    it('reports time to enforce past the noise threshold only, and as information (exit 0)', async () => {
      const above = await diff(judged({ tteMs: 300 }), judged({ tteMs: 3000 }));
      expect(above.exitCode).to.equal(EXIT.ok);
      expect(above.stdout).to.match(/time to enforce \(informational, never changes the exit code; shown when a value more than doubled or halved and moved by more than 500 ms/);
      expect(above.stdout).to.include('  policy-create: p50 0.30 s -> 3.00 s, p95 0.30 s -> 3.00 s, max 0.30 s -> 3.00 s');
      expect(above.stdout).to.include('no behaviour change');
      expect(above.stdout).to.include('3 timing changes (informational)');
      // Faster is a change too.
      expect((await diff(judged({ tteMs: 3000 }), judged({ tteMs: 300 }))).stdout).to.include('policy-create: p50 3.00 s -> 0.30 s');
      // More than 2x but under 500 ms, and more than 500 ms but under 2x: noise.
      for (const [a, b] of [
        [300, 700],
        [2000, 3500],
      ] as const) {
        const below = await diff(judged({ tteMs: a }), judged({ tteMs: b }));
        expect(below.exitCode, `${a} -> ${b}`).to.equal(EXIT.ok);
        expect(below.stdout, `${a} -> ${b}`).to.include('time to enforce: no change past the noise threshold');
        expect(below.stdout).not.to.include('policy-create:');
      }
    });

    it('says so when the CNI stopped enforcing (the canary failed) and exits 1', async () => {
      const r = await diff(judged(), notEnforcingReport('kube-router', 'kind', 'x/b reached x/a after deny-all'));
      expect(r.exitCode).to.equal(EXIT.mismatch);
      expect(r.stdout).to.match(/NOT ENFORCING in .*: x\/b reached x\/a after deny-all/);
      expect(r.stdout).to.match(/engine profile: kube-router \(matching: .*kube-router.*\) -> none \(matching: none\)/);
    });

    it('exits 2 naming both files and what each is when a results.json meets a conformance.json', async () => {
      const results = write(renderArtifactJson(loadFixture('seed-suite.json')));
      const conformance = write(judged());
      for (const [a, b] of [
        [results, conformance],
        [conformance, results],
      ] as const) {
        const err = (await runDiff(a, b, { output: 'text', color: false }).catch((e: unknown) => e)) as InputError;
        expect(err).to.be.instanceOf(InputError);
        expect(err.exitCode).to.equal(EXIT.error);
        expect(err.message).to.include(`${results}: (document): is a run artifact (results.json`);
        expect(err.message).to.include(`${conformance}: (document): is a conformance report (conformance.json`);
        expect(err.hint).to.equal('pass two results.json files or two conformance.json files');
      }
    });

    it('exits 2 naming the file and field of a broken conformance.json', async () => {
      const ok = write(judged());
      const broken = judged() as { cases: { status: string }[] };
      broken.cases[1]!.status = 'fine';
      const bad = write(broken);
      const err = (await runDiff(ok, bad, { output: 'text', color: false }).catch((e: unknown) => e)) as InputError;
      expect(err).to.be.instanceOf(InputError);
      expect(err.issues.map((i) => `${i.file} ${i.path}`)).to.deep.equal([`${bad} cases[1].status`]);
      // A report missing its cases is still told by its other fields, and read as what it is.
      const { cases: _c, ...noCases } = judged() as Record<string, unknown>;
      const headless = write(noCases);
      const err2 = (await runDiff(headless, ok, { output: 'json', color: false }).catch((e: unknown) => e)) as InputError;
      expect(err2).to.be.instanceOf(InputError);
      expect(err2.issues.map((i) => `${i.file} ${i.path}`)).to.deep.equal([`${headless} cases`]);
      // A file that is not JSON next to a conformance.json is reported by the conformance reader.
      const notJson = write('{"cases": [');
      const err3 = (await runDiff(ok, notJson, { output: 'text', color: false }).catch((e: unknown) => e)) as InputError;
      expect(err3.message).to.include(`${notJson}: (document): is not JSON`);
    });
  });
});
