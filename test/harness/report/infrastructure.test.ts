import { expect } from 'chai';
import type { RunResult, StepInfrastructure } from '../../../harness/diff/result.js';
import { parseArtifact } from '../../../harness/report/artifact-schema.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { renderHtml } from '../../../harness/report/html.js';
import { hasInfrastructureNews, infrastructureLines } from '../../../harness/report/infrastructure.js';
import { renderStep } from '../../../harness/report/terminal.js';
import { loadFixture } from './golden.js';

const infra: StepInfrastructure = {
  events: [
    { at: '2026-03-14T02:00:05.000Z', kind: 'exec-failure', subject: 'shop/db-1', detail: 'node-unreachable on node w2: exec failed: error dialing backend (retrying)' },
    { at: '2026-03-14T02:00:41.000Z', kind: 'node-not-ready', subject: 'w2', detail: 'NodeStatusUnknown (Kubelet stopped posting node status.)' },
  ],
  execFailures: { 'node-unreachable': 3 },
  execRetries: 2,
  distrusted: 4,
  unsettled: { cells: 7, byClass: { error: 7 }, sample: ['shop/client -> shop/db:5432/TCP: error (timeout; not taken as a verdict: node w2 ...)'], faults: ['node-not-ready w2'] },
};

function withInfra(): RunResult {
  const run = loadFixture('three-way.json');
  run.steps[0]!.infrastructure = infra;
  return run;
}

describe('report/infrastructure section', () => {
  it('round-trips through results.json and validates; artifacts without it still validate', () => {
    const a = parseArtifact(JSON.parse(renderArtifactJson(withInfra())), 'results.json');
    expect(a.steps[0]!.infrastructure).to.deep.equal(infra);
    expect(parseArtifact(JSON.parse(renderArtifactJson(loadFixture('three-way.json'))), 'old.json').steps[0]!.infrastructure).to.equal(undefined);
  });

  it('rejects a malformed section naming the field', () => {
    const doc = JSON.parse(renderArtifactJson(withInfra())) as { steps: { infrastructure: { events: { at: string }[] } }[] };
    doc.steps[0]!.infrastructure.events[0]!.at = 'yesterday';
    expect(() => parseArtifact(doc, 'r.json')).to.throw(/steps\[0\]\.infrastructure\.events\[0\]\.at/);
  });

  it('the terminal lists events with times, exec failures by kind, and why the step did not settle', () => {
    const out = renderStep(withInfra().steps[0]!, withInfra().axes, { color: false, ascii: true });
    expect(out).to.include('infrastructure: 2 event(s); exec failures: node-unreachable 3; retries 2; results not taken as verdicts 4');
    expect(out).to.include('02:00:41.000 node-not-ready w2: NodeStatusUnknown');
    expect(out).to.include('did not settle: 7 cell(s) (error 7); faults seen: node-not-ready w2');
  });

  it('says nothing for a quiet step', () => {
    expect(hasInfrastructureNews({ events: [], execFailures: {}, execRetries: 0, distrusted: 0 })).to.equal(false);
    const run = loadFixture('three-way.json');
    expect(renderStep(run.steps[0]!, run.axes, { color: false, ascii: true })).to.not.include('infrastructure');
  });

  it('the HTML report has an infrastructure section with the events table', () => {
    const html = renderHtml(withInfra());
    expect(html).to.match(/<section class="infra"[^>]*><h3>Infrastructure<\/h3>/);
    expect(html).to.include('<td>2026-03-14T02:00:41.000Z</td><td>node-not-ready</td><td>w2</td>');
    expect(infrastructureLines(infra, 1).join('\n')).to.include('... 1 more');
  });
});
