// step-axes.ts: a step's matrix holds only what is present after it.
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { axesAtStep } from '../../../harness/matrix/step-axes.js';
import { loadValidSuite } from '../../../harness/suite/validate.js';

describe('matrix/step-axes', () => {
  it('omits absent sources and their columns, step by step', async () => {
    const { loaded } = await loadValidSuite('test/fixtures/e2e/dynamics/suite.yaml');
    const s = loaded.suite;
    const ids = (i: number) => axesAtStep(s, i).sources.map((x) => x.id);
    const cols = (i: number) => axesAtStep(s, i).columns.map((c) => c.key);
    expect(ids(0)).to.deep.equal(['nph-i13c-dyn/web', 'nph-i13c-dyn/db', 'nph-i13c-dyn/client', 'nph-i13c-dyn/stranger']);
    expect(cols(0)).to.deep.equal(['nph-i13c-dyn/web:8080/TCP', 'nph-i13c-dyn/db:5432/TCP']);
    expect(ids(1)).to.include('nph-i13c-dyn/web2');
    expect(cols(1)).to.include('nph-i13c-dyn/web2:8080/TCP');
    expect(ids(5)).to.include('nph-i13c-late/visitor');
    expect(ids(6)).to.deep.equal(ids(0));
    expect(cols(6)).to.deep.equal(cols(0));
  });

  it('is buildAxes itself for a suite without dynamics', async () => {
    const { loaded } = await loadValidSuite('suites/zero-trust');
    const all = buildAxes(loaded.suite);
    expect(axesAtStep(loaded.suite, 3, all)).to.equal(all);
  });
});
