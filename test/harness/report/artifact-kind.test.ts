// `diff` picks its reader by what a file holds: a run artifact has steps, a conformance report cases,
// features and a deny style. A file it cannot tell is left to the other file's reader.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { InputError } from '../../../harness/errors.js';
import { commonKind, kindOfValue } from '../../../harness/report/artifact-kind.js';

describe('report: artifact kind', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nph-kind-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, body: string): string => {
    const f = join(dir, name);
    writeFileSync(f, body);
    return f;
  };

  it('tells results from conformance by content', () => {
    expect(kindOfValue({ schemaVersion: 1, steps: [] })).to.equal('results');
    expect(kindOfValue({ schemaVersion: 1, cases: [], features: [] })).to.equal('conformance');
    expect(kindOfValue({ denyStyle: {} })).to.equal('conformance');
    for (const v of [[], null, 'x', {}, { schemaVersion: 1 }]) expect(kindOfValue(v), JSON.stringify(v)).to.equal(undefined);
  });

  it('gives an untold file the other one’s kind, results when neither is told, and refuses two kinds', async () => {
    const conf = file('c.json', '{"cases": [], "features": []}');
    const res = file('r.json', '{"steps": []}');
    const broken = file('b.json', '{');
    expect(await commonKind(conf, broken)).to.equal('conformance');
    expect(await commonKind(join(dir, 'missing.json'), conf)).to.equal('conformance');
    expect(await commonKind(broken, join(dir, 'missing.json'))).to.equal('results');
    expect(await commonKind(res, broken)).to.equal('results');
    const err = await commonKind(conf, res).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(InputError);
    expect((err as InputError).issues.map((i) => i.file)).to.deep.equal([conf, res]);
  });
});
