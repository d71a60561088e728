import { expect } from 'chai';
import { ArtifactSchema, parseArtifact, toArtifact } from '../../../harness/report/artifact-schema.js';
import { classifyCell } from '../../../harness/diff/three-way.js';
import { InputError } from '../../../harness/errors.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { loadFixture } from './golden.js';

describe('results.json artifact', () => {
  for (const f of ['three-way.json', 'seed-suite.json']) {
    it(`validates what writeReports writes (${f})`, () => {
      const doc: unknown = JSON.parse(renderArtifactJson(loadFixture(f)));
      expect(ArtifactSchema.safeParse(doc).success).to.equal(true);
    });
  }

  it('carries the summary and each cell\'s kinds', () => {
    const run = loadFixture('three-way.json');
    const a = toArtifact(run);
    expect(a.schemaVersion).to.equal(1);
    expect(a.summary?.passed).to.equal(false);
    expect(a.steps[0]!.cells.map((c) => c.kinds)).to.deep.equal(run.steps[0]!.cells.map(classifyCell));
    expect(Object.keys(a).slice(0, 6)).to.deep.equal(['schemaVersion', 'suite', 'startedAt', 'finishedAt', 'cluster', 'summary']);
  });

  it('carries the run\'s phases, each step\'s apply/probe/confirm and its distrusted time; a negative phase is refused', () => {
    const doc = JSON.parse(renderArtifactJson(loadFixture('seed-suite.json'))) as Record<string, unknown>;
    const a = parseArtifact(doc, 'r.json');
    expect(a.phases?.map((p) => p.name)).to.deep.equal(['cluster', 'cni', 'canary', 'deploy', 'settle', 'cleanup']);
    expect(a.steps[1]!.phases).to.deep.equal({ applyMs: 400, probeMs: 7400, confirmMs: 2000 });
    expect(a.steps[1]!.infrastructure?.distrustedMs).to.equal(5200);
    expect(a.summary?.steps[1]?.distrustedMs).to.equal(5200);
    const bad = { ...doc, phases: [{ name: 'cluster', startMs: 0, durationMs: -1 }] };
    expect(() => parseArtifact(bad, 'r.json')).to.throw(InputError, /phases\[0\]\.durationMs/);
  });

  it('keeps fields a newer writer adds within version 1', () => {
    const doc = { ...JSON.parse(renderArtifactJson(loadFixture('three-way.json'))), futureField: 1 } as unknown;
    expect(() => parseArtifact(doc, 'r.json')).not.to.throw();
  });

  it('names each bad field with its path', () => {
    type Loose = { axes?: unknown; steps: { cells: { expected: string; observed: { attempts: number } }[] }[] };
    const doc = JSON.parse(renderArtifactJson(loadFixture('three-way.json'))) as Loose;
    doc.steps[0]!.cells[1]!.expected = 'maybe';
    doc.steps[1]!.cells[0]!.observed.attempts = -1;
    delete doc.axes;
    try {
      parseArtifact(doc, 'r.json');
      expect.fail('should throw');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      const paths = (e as InputError).issues.map((i) => i.path);
      expect(paths).to.include.members(['axes', 'steps[0].cells[1].expected', 'steps[1].cells[0].observed.attempts']);
      expect((e as InputError).issues.every((i) => i.file === 'r.json')).to.equal(true);
    }
  });
});
