// A repro suite written to disk loads back through the ordinary suite loader, validates, and holds
// the shrunk set and one step expecting the simulation, with the deviating cells in its header.
import { expect } from 'chai';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateSet } from '../../../../harness/conformance/random/generate.js';
import { reproFiles, writeRepro, type Repro } from '../../../../harness/conformance/random/write.js';
import { simulateStep } from '../../../../harness/policy/simulate.js';
import { loadSuite } from '../../../../harness/suite/load.js';
import { isError, validateLoaded } from '../../../../harness/suite/validate.js';

describe('conformance --random: repro suites', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(path.join(os.tmpdir(), 'nph-random-'))));
  after(async () => rm(dir, { recursive: true, force: true }));

  const original = generateSet(2, { seed: 1 });
  const repro: Repro = {
    seed: 1,
    index: 2,
    cni: 'kube-router',
    policies: original.slice(0, 1),
    original,
    deviations: [{ src: 'x/a', col: 'x/c:80/TCP', simulated: 'deny', observed: 'connected' }],
  };

  it('round-trips through the suite loader: same policies, one step expecting the simulation', async () => {
    const file = await writeRepro(dir, repro);
    expect(file).to.equal(path.join(dir, '1-3', 'suite.yaml'));
    const loaded = await loadSuite(file);
    expect(validateLoaded(loaded).filter(isError)).to.deep.equal([]);
    expect(loaded.suite.cluster.cni).to.equal('kube-router');
    expect(loaded.suite.steps.map((s) => [s.name, s.apply, s.expect])).to.deep.equal([['repro', ['repro'], 'simulated']]);
    expect(loaded.policies.get('repro')!.map((p) => p.policy)).to.deep.equal(repro.policies);
    expect(loaded.suite.workloads.map((w) => `${w.namespace}/${w.name}`)).to.have.length(9);
    expect(loaded.suite.externals.map((e) => e.name)).to.deep.equal(['ext']);
    // The suite simulates (offline) without complaint: `run` would compare against this.
    expect(simulateStep(loaded, 0).get('x/a', 'x/c:80/TCP')).to.not.equal(undefined);
  });

  it('names the deviating cells and the repro command in the header; keeps the generated set beside it', async () => {
    const suite = await readFile(path.join(dir, '1-3', 'suite.yaml'), 'utf8');
    expect(suite).to.include('#   x/a -> x/c:80/TCP (engine deny, observed connected)');
    expect(suite).to.include('netpol-harness run suite.yaml --cni kube-router');
    const orig = await readFile(path.join(dir, '1-3', 'original.yaml'), 'utf8');
    expect(orig.match(/^kind: NetworkPolicy$/gm)).to.have.length(original.length);
  });

  it('is byte-identical for the same input', () => {
    expect(reproFiles(repro)).to.deep.equal(reproFiles(structuredClone(repro)));
  });
});
