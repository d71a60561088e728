// The CNI's dataplane in the report's cluster section: optional (older results.json files have none),
// and shown next to the CNI by every renderer.
import { expect } from 'chai';
import { parseArtifact } from '../../../harness/report/artifact-schema.js';
import { renderArtifactJson } from '../../../harness/report/files.js';
import { renderHtml } from '../../../harness/report/html.js';
import { renderMarkdown } from '../../../harness/report/markdown.js';
import { renderRun } from '../../../harness/report/terminal.js';
import { loadFixture } from './golden.js';

describe('report: the CNI dataplane in the cluster section', () => {
  const withDataplane = () => {
    const run = loadFixture('seed-suite.json');
    run.cluster = { ...run.cluster!, cni: 'calico', dataplane: 'nftables' };
    return run;
  };

  it('results.json carries it, and files without it (written before) still parse', () => {
    const a = parseArtifact(JSON.parse(renderArtifactJson(withDataplane())), 'r.json');
    expect(a.cluster?.dataplane).to.equal('nftables');
    const old = parseArtifact(JSON.parse(renderArtifactJson(loadFixture('seed-suite.json'))), 'old.json');
    expect(old.cluster?.dataplane).to.equal(undefined);
    expect(() => parseArtifact({ ...JSON.parse(renderArtifactJson(withDataplane())), cluster: { provider: 'kind', cni: 'calico', dataplane: 7 } }, 'bad.json')).to.throw(/cluster\.dataplane/);
  });

  it('terminal, markdown and HTML show it next to the CNI, and nothing when absent', () => {
    const run = withDataplane();
    expect(renderRun(run, { color: false, ascii: true })).to.include('CNI calico (nftables dataplane)');
    expect(renderMarkdown(run)).to.include('CNI calico (nftables dataplane)');
    expect(renderHtml(run)).to.include('CNI calico (nftables dataplane)');
    const plain = loadFixture('seed-suite.json');
    expect(renderRun(plain, { color: false, ascii: true })).to.include('CNI calico v3.32.1,').and.not.include('dataplane');
    expect(renderMarkdown(plain)).not.to.include('dataplane');
  });
});
