// random.json has a schema: a report of drive.ts's type validates after a JSON round trip, a broken
// one is rejected naming the file and field, and the committed JSON Schema is the generated one.
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { RandomReport } from '../../../../harness/conformance/random/drive.js';
import { parseRandomReport, RandomReportSchema } from '../../../../harness/conformance/random/report-schema.js';
import { InputError } from '../../../../harness/errors.js';

const report: RandomReport = {
  schemaVersion: 1,
  seed: 1,
  sets: 2,
  cni: 'kube-router',
  profile: 'kube-router',
  namedPorts: true,
  cells: 450,
  deviatingSets: 1,
  durationMs: 61_000,
  outcomes: [
    { set: 'random-1', index: 0, cells: 225, deviations: [], profileVsUpstream: 0 },
    {
      set: 'random-2',
      index: 1,
      cells: 225,
      deviations: [{ src: 'z/a', col: 'z/b:80/TCP', simulated: 'deny', observed: 'connected' }],
      profileVsUpstream: 0,
      shrunk: {
        sizeBefore: 20,
        sizeAfter: 2,
        policiesBefore: 3,
        policiesAfter: 1,
        tries: 41,
        confirmRuns: [{ size: 2, reproduced: true }],
        confirmed: true,
        suiteFile: 'conformance-random/random/1-2/suite.yaml',
        repro: 'netpol-harness run conformance-random/random/1-2/suite.yaml --cni kube-router',
      },
    },
  ],
};

describe('conformance/random: random.json schema', () => {
  it('a report as drive.ts writes it validates (after a JSON round trip)', () => {
    const parsed = parseRandomReport(JSON.parse(JSON.stringify(report)), 'random.json');
    expect(parsed.outcomes[1]!.shrunk!.confirmed).to.equal(true);
  });

  it('a broken report is rejected with the file and the path of each bad field', () => {
    const broken = JSON.parse(JSON.stringify(report)) as { outcomes: { deviations: { observed: string }[] }[]; seed: unknown };
    broken.outcomes[1]!.deviations[0]!.observed = 'maybe';
    broken.seed = -1;
    try {
      parseRandomReport(broken, 'out/random.json');
      expect.fail('accepted a broken report');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      const paths = (e as InputError).issues.map((i) => `${i.file} ${i.path}`);
      expect(paths).to.include('out/random.json seed');
      expect(paths).to.include('out/random.json outcomes[1].deviations[0].observed');
    }
    expect(() => parseRandomReport({ seed: 1 }, 'r.json')).to.throw(InputError, /schemaVersion/);
  });

  it('schema/conformance-random.schema.json is up to date (npm run build writes it)', async () => {
    const fresh = z.toJSONSchema(RandomReportSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
    const committed = JSON.parse(await readFile('schema/conformance-random.schema.json', 'utf8')) as Record<string, unknown>;
    const { $id: _id, title: _title, ...rest } = committed;
    expect(rest).to.deep.equal(fresh);
  });
});
