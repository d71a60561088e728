// conformance.json has a schema: what the verdict code writes validates (after a JSON round trip, as
// the file is written), a broken file is rejected naming the field, and the committed JSON Schema is
// the one `npm run build` generates (scripts/write-schema.mjs).
import { expect } from 'chai';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { generateBattery } from '../../../harness/conformance/generate.js';
import { ConformanceReportSchema, parseConformance, readConformance } from '../../../harness/conformance/report-schema.js';
import { judge, notEnforcingReport } from '../../../harness/conformance/verdict.js';
import { InputError } from '../../../harness/errors.js';
import { fakeRunOf } from './fake-run.js';

describe('conformance: conformance.json schema', function () {
  this.timeout(60_000);
  const b = generateBattery({ focus: ['isolation-ingress', 'port-range', 'dynamic-update'], lanes: 1 });

  /** A judged run: isolation as the spec says, port-range deviating, the first step never matching. */
  function report(): unknown {
    const run = fakeRunOf(b, (caseId, c) => (caseId === 'port-range' && c.col === 'x/a:80/TCP' ? 'refused' : c.v === 'allow' ? 'connected' : 'timeout'), {
      tte: (i) => (i === 0 ? undefined : 300 * i),
    });
    const r = judge(run, b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.find((c) => c.id === 'port-range')!.status).to.equal('deviates');
    // The case of the first suite step (cases run longest first) never matched there.
    expect(r.cases.find((c) => c.id === b.steps[0]!.cases[0]!.caseId)!.timeToEnforceMs[0]).to.equal(undefined);
    return JSON.parse(JSON.stringify(r)) as unknown;
  }

  it('a report written by the verdict code validates, never-matched steps (null in JSON) included', async () => {
    const json = report();
    const parsed = parseConformance(json, 'conformance.json');
    expect(parsed.cases.length).to.equal(b.cases.length);
    expect(parsed.timing.map((t) => t.change)).to.include.members(['policy-create', 'policy-update']);
    const dir = await mkdtemp(path.join(tmpdir(), 'nph-conformance-'));
    try {
      const file = path.join(dir, 'conformance.json');
      await writeFile(file, JSON.stringify(json, null, 2));
      expect((await readConformance(file)).cni).to.equal('kube-router');
      // The not-enforcing report (canary failed) is a conformance.json too.
      expect(parseConformance(JSON.parse(JSON.stringify(notEnforcingReport('calico', 'kind', 'allowed after deny-all'))), 'x').notEnforcing).to.equal('allowed after deny-all');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a broken report is rejected with the file and the path of each bad field', () => {
    const json = report() as { cases: { status: string }[]; denyStyle: { egress: { style: string } }; timing: { change: string }[] };
    json.cases[1]!.status = 'fine';
    json.denyStyle.egress.style = 'sometimes';
    json.timing[0]!.change = 'reboot';
    try {
      parseConformance(json, 'out/conformance.json');
      expect.fail('should have thrown');
    } catch (e) {
      expect(e).to.be.instanceOf(InputError);
      const paths = (e as InputError).issues.map((i) => `${i.file} ${i.path}`);
      expect(paths).to.include.members(['out/conformance.json cases[1].status', 'out/conformance.json denyStyle.egress.style', 'out/conformance.json timing[0].change']);
    }
    expect(() => parseConformance({ ...(report() as object), schemaVersion: 2 }, 'f.json')).to.throw(InputError, /schemaVersion.*is 2; this netpol-harness reads schemaVersion 1/);
    expect(() => parseConformance([], 'f.json')).to.throw(InputError, /not a netpol-harness conformance report/);
    const { cases: _c, ...noCases } = report() as Record<string, unknown>;
    expect(() => parseConformance(noCases, 'f.json')).to.throw(InputError, /cases/);
  });

  it('schema/conformance.schema.json is up to date (npm run build writes it)', async () => {
    const fresh = z.toJSONSchema(ConformanceReportSchema, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
    const committed = JSON.parse(await readFile('schema/conformance.schema.json', 'utf8')) as Record<string, unknown>;
    const { $id: _id, title: _title, ...rest } = committed;
    expect(rest).to.deep.equal(fresh);
    expect(JSON.stringify(committed)).to.include('"asProfilePredicts"').and.include('"notEnforcing"');
  });
});
