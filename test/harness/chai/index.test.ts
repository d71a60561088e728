import * as chai from 'chai';
import { netpolChai } from '../../../harness/chai/index.js';
import type { StepResult } from '../../../harness/diff/result.js';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { registerStepAxes } from '../../../harness/run/registry.js';
import { Suite } from '../../../harness/suite/schema.js';

chai.use(netpolChai);
const { expect } = chai;

const suite = Suite.parse({
  apiVersion: 'netpol-harness/v1',
  kind: 'Suite',
  metadata: { name: 't' },
  namespaces: [{ name: 'app' }],
  workloads: [
    { name: 'web', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 80 }] },
    { name: 'db', namespace: 'app', labels: { app: 'db' }, ports: [{ port: 5432 }] },
  ],
  probe: { dnsNames: [] },
  steps: [{ name: 's', expect: { default: 'deny' } }],
});
const axes = buildAxes(suite);

function step(observedWebToDb: 'connected' | 'timeout'): StepResult {
  const s: StepResult = {
    name: 'default-deny',
    cells: [
      { src: 'app/web', col: 'app/db:5432/TCP', expected: 'deny', observed: { class: observedWebToDb, attempts: 1, repro: 'kubectl exec ...' } },
      { src: 'app/db', col: 'app/web:80/TCP', expected: 'deny', observed: { class: 'timeout', attempts: 1 } },
    ],
  };
  registerStepAxes(s, axes);
  return s;
}

describe('chai/matchReachability', () => {
  it('passes when every observed cell matches', () => {
    expect(step('timeout')).to.matchReachability();
  });

  it('fails with the diff table naming the wrong cell', () => {
    let message = '';
    try {
      expect(step('connected')).to.matchReachability();
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).to.match(/1 of 2 cells do not match/);
    // the diff table (rendered by the terminal reporter), not just a list of names
    expect(message).to.match(/step default-deny: correct 1, wrong 1/);
    expect(message).to.match(/app\/web/);
    expect(message).to.include('kubectl exec ...');
  });

  it('checks against an expectation given to the assertion', () => {
    expect(step('connected')).to.matchReachability({ default: 'deny', rules: [{ allow: 'app/web -> app/db:5432/TCP' }] });
    expect(() => expect(step('timeout')).to.matchReachability({ default: 'allow' })).to.throw(/2 of 2 cells/);
  });

  it('supports negation', () => {
    expect(step('connected')).not.to.matchReachability();
    expect(() => expect(step('timeout')).not.to.matchReachability()).to.throw(/all 2 match/);
  });
});
