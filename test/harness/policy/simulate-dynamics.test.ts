// simulateStep / expectedMatrix with dynamics: the engine sees only what is present after a step,
// an in-place replacement changes verdicts, and absent endpoints have no cells (not denies).
import { expect } from 'chai';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';
import { loadValidSuite } from '../../../harness/suite/validate.js';

const NS = 'nph-i13c-dyn';

describe('policy engine: simulate with dynamics', () => {
  it('absent pods have no cells; a joining pod is selected; the replaced spec decides; hand-written rules agree', async () => {
    const { loaded } = await loadValidSuite('test/fixtures/e2e/dynamics/suite.yaml');
    const step = (name: string) => loaded.suite.steps.findIndex((s) => s.name === name);
    const v1 = simulateStep(loaded, step('v1'));
    expect(v1.get(`${NS}/client`, `${NS}/web2:8080/TCP`), 'web2 is not there yet').to.equal(undefined);
    expect([...v1.cells()].some((c) => c.src.id === `${NS}/web2`)).to.equal(false);
    expect(v1.get(`${NS}/client`, `${NS}/web:8080/TCP`)!.verdict).to.equal('allow');
    expect(v1.get(`${NS}/stranger`, `${NS}/web:8080/TCP`)!.verdict).to.equal('deny');

    const join = simulateStep(loaded, step('join'));
    expect(join.get(`${NS}/stranger`, `${NS}/web2:8080/TCP`)!.verdict).to.equal('deny');
    expect(join.get(`${NS}/stranger`, `${NS}/web2:8080/TCP`)!.explanation.details.join('\n')).to.include('web-ingress');

    const replaced = simulateStep(loaded, step('replace'));
    expect(replaced.get(`${NS}/client`, `${NS}/web:8080/TCP`)!.verdict).to.equal('deny');
    expect(replaced.get(`${NS}/stranger`, `${NS}/web:8080/TCP`)!.verdict).to.equal('allow');

    // Every hand-written step agrees with the engine on every present cell.
    for (const [i, s] of loaded.suite.steps.entries()) {
      const exp = expectedMatrix(loaded, i);
      const sim = simulateStep(loaded, i);
      let n = 0;
      for (const { src, col, value } of exp.cells()) {
        expect(sim.get(src.id, col.key)!.verdict, `${s.name}: ${src.id} -> ${col.key}`).to.equal(value!.verdict);
        n++;
      }
      expect(n, `${s.name}: cells`).to.equal([...sim.cells()].length);
    }
    expect([...simulateStep(loaded, step('late')).cells()]).to.have.length(15);
    expect([...simulateStep(loaded, step('leave')).cells()]).to.have.length(6);
  });
});
