import { expect } from 'chai';
import { parseAgentOutput } from '../../../harness/probe/agent-output.js';

describe('probe/agent-output', () => {
  it('parses result lines and the done line', () => {
    const out = parseAgentOutput(
      [
        '{"id":"a:80/TCP","class":"connected","latencyMs":1.5,"detail":"pod-a"}',
        '{"id":"b:53/UDP","class":"timeout","latencyMs":2000}',
        '{"done":true,"count":2,"elapsedMs":2001}',
      ].join('\n'),
    );
    expect(out.done).to.equal(true);
    expect(out.results.get('a:80/TCP')).to.deep.equal({ id: 'a:80/TCP', class: 'connected', latencyMs: 1.5, detail: 'pod-a' });
    expect(out.results.get('b:53/UDP')?.class).to.equal('timeout');
  });

  it('keeps unknown classes and non-JSON lines out of the results', () => {
    const out = parseAgentOutput('garbage\n{"id":"x","class":"maybe"}\n{"id":"y","class":"refused"}\n');
    expect(out.results.has('x')).to.equal(false);
    expect(out.results.get('y')?.class).to.equal('refused');
    expect(out.garbage).to.have.length(2);
    expect(out.done).to.equal(false);
  });
});
