import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { convert } from 'xmlbuilder2';
import { UsageError } from '../../../harness/errors.js';
import { readArtifact } from '../../../harness/report/artifact-schema.js';
import { writeReports } from '../../../harness/report/files.js';
import { renderJUnit } from '../../../harness/report/junit.js';
import { renderMarkdown } from '../../../harness/report/markdown.js';
import { loadFixture } from './golden.js';

describe('writeReports', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nph-reports-'));
  });

  it('writes the four files and a results.json that reads back', async () => {
    const run = loadFixture('three-way.json');
    const out = join(dir, 'nested', 'reports');
    const { files } = await writeReports(run, out, { env: {} });
    expect(files.map((f) => f.slice(out.length + 1))).to.deep.equal(['results.json', 'junit.xml', 'summary.md', 'report.html']);
    const back = await readArtifact(files[0]!);
    expect(back.steps).to.have.length(run.steps.length);
    expect(back.summary?.wrong).to.equal(2);
  });

  it('appends the Markdown summary to $GITHUB_STEP_SUMMARY without clobbering it', async () => {
    const summary = join(dir, 'step-summary.md');
    writeFileSync(summary, '# earlier step\n');
    const run = loadFixture('three-way.json');
    const { files } = await writeReports(run, join(dir, 'r'), { env: { GITHUB_STEP_SUMMARY: summary }, formats: ['json'] });
    expect(files).to.deep.equal([join(dir, 'r', 'results.json'), summary]);
    expect(readFileSync(summary, 'utf8')).to.equal(`# earlier step\n${renderMarkdown(run)}\n`);
  });

  it('reports a directory that cannot be made as a usage error naming the flag (exit 2, before writing)', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const err = await writeReports(loadFixture('three-way.json'), join(file, 'sub'), { env: {} }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(UsageError);
    expect((err as Error).message).to.include(`--report-dir ${join(file, 'sub')}: ${file} exists and is not a directory`);
  });
});

describe('JUnit XML', () => {
  type Node = Record<string, unknown>;
  const arr = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : v === undefined ? [] : [v as Node]);

  it('has the standard shape and counts: one testsuite per step, one testcase per cell', () => {
    const run = loadFixture('three-way.json');
    const doc = convert(renderJUnit(run), { format: 'object' }) as { testsuites: Node };
    const root = doc.testsuites;
    expect(root).to.include({ '@tests': '18', '@failures': '2', '@errors': '2', '@skipped': '0' });
    const suites = arr(root.testsuite);
    expect(suites.map((s) => s['@name'])).to.deep.equal(['three-way / mixed', 'three-way / clean']);
    const mixed = arr(suites[0]!.testcase);
    expect(mixed).to.have.length(9);
    for (const tc of mixed) expect(tc).to.include.keys('@classname', '@name', '@time');
    const failures = mixed.filter((tc) => tc.failure !== undefined);
    // xmlbuilder2's object form keeps attribute entities encoded.
    const decode = (v: unknown): string => String(v).replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
    expect(failures.map((tc) => decode(tc['@name']))).to.deep.equal(['app/client -> app/db:5432/TCP', 'app/debug -> app/server:80/TCP']);
    const f = failures[0]!.failure as Node;
    expect(f['@type']).to.equal('failure,authoring');
    expect(f['@message']).to.equal('expected deny, observed allow (connected, 10 attempts, 4 ms)');
    expect(String(f['#'])).to.include('repro: kubectl exec -n app client');
    expect(mixed.filter((tc) => tc.error !== undefined)).to.have.length(2);
    expect(mixed.filter((tc) => tc['system-out'] !== undefined)).to.have.length(1);
  });

  it('strips characters XML cannot carry', () => {
    const run = loadFixture('three-way.json');
    run.steps[0]!.cells[6]!.observed!.detail = 'bad \u0000\u0007 bytes';
    const xml = renderJUnit(run);
    expect(xml).to.include('bad  bytes');
    expect(() => convert(xml, { format: 'object' })).not.to.throw();
  });
});
