// Golden tests: every format on fixed results. UPDATE_GOLDEN=1 regenerates test/harness/report/golden/.
import { expect } from 'chai';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { renderHtml } from '../../../harness/report/html.js';
import { renderJUnit } from '../../../harness/report/junit.js';
import { renderMarkdown } from '../../../harness/report/markdown.js';
import { renderRun } from '../../../harness/report/terminal.js';
import { expectGolden, loadFixture } from './golden.js';

describe('report golden files', () => {
  describe('three-way fixture (every mismatch kind and an error cell)', () => {
    const run = loadFixture('three-way.json');
    it('terminal, Unicode, plain', () => expectGolden('three-way/terminal.txt', renderRun(run, { color: false, ascii: false })));
    it('terminal, ASCII', () => expectGolden('three-way/terminal-ascii.txt', renderRun(run, { color: false, ascii: true })));
    it('terminal, colour', () => expectGolden('three-way/terminal-color.txt', renderRun(run, { color: true, ascii: false })));
    it('terminal, every table', () => expectGolden('three-way/terminal-all-tables.txt', renderRun(run, { color: false, ascii: false, tables: 'all' })));
    it('terminal, --focus wrong', () => expectGolden('three-way/terminal-focus-wrong.txt', renderRun(run, { color: false, ascii: false, focus: 'wrong' })));
    it('results.json', () => expectGolden('three-way/results.json', renderArtifactJson(run)));
    it('junit.xml', () => expectGolden('three-way/junit.xml', renderJUnit(run)));
    it('summary.md', () => expectGolden('three-way/summary.md', renderMarkdown(run)));
    it('report.html', () => expectGolden('three-way/report.html', renderHtml(run)));
  });

  describe('seed-suite fixture (zero-trust shape, 8 x 8, 7 steps)', () => {
    const run = loadFixture('seed-suite.json');
    it('terminal, Unicode, plain', () => expectGolden('seed-suite/terminal.txt', renderRun(run, { color: false, ascii: false })));
    it('terminal, ASCII, grouped', () => expectGolden('seed-suite/terminal-grouped.txt', renderRun(run, { color: false, ascii: true, group: true })));
    it('terminal, --focus wrong', () => expectGolden('seed-suite/terminal-focus-wrong.txt', renderRun(run, { color: false, ascii: true, focus: 'wrong' })));
    it('junit.xml', () => expectGolden('seed-suite/junit.xml', renderJUnit(run)));
    it('summary.md', () => expectGolden('seed-suite/summary.md', renderMarkdown(run)));
    it('report.html (phases on the timeline, a step whose cells were distrusted)', () => expectGolden('seed-suite/report.html', renderHtml(run)));
  });

  it('is deterministic: rendering twice gives the same bytes', () => {
    const run = loadFixture('three-way.json');
    expect(renderHtml(run)).to.equal(renderHtml(structuredClone(run)));
    expect(renderJUnit(run)).to.equal(renderJUnit(structuredClone(run)));
  });
});
