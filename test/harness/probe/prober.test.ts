import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { BatchProber, PerProbeExecProber, agentCommand, type ProbeRequest } from '../../../harness/probe/prober.js';
import { FakeExecutor } from './fakes.js';

const src = (name: string) => ({ endpoint: `ns/${name}`, namespace: 'ns', pod: `${name}-pod`, container: 'agent' });
const tcp = (id: string) => ({ id, kind: 'tcp' as const, host: '10.0.0.1', port: 80, timeoutMs: 1000 });

describe('probe/prober', () => {
  const requests: ProbeRequest[] = [
    { source: src('a'), targets: [tcp('x:80/TCP'), tcp('y:80/TCP'), tcp('z:80/TCP')] },
    { source: src('b'), targets: [tcp('x:80/TCP'), tcp('y:80/TCP')] },
  ];

  it('issues one exec per source pod per round and maps every target', async () => {
    const ex = new FakeExecutor((pod, t) => (pod === 'a-pod' && t.id === 'y:80/TCP' ? 'timeout' : 'connected'));
    const p = new BatchProber(ex);
    const res = await p.round(requests);
    expect(ex.calls).to.have.length(2);
    expect(p.execCount).to.equal(2);
    expect(res.size).to.equal(5);
    expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('timeout');
    expect(res.get(cellKey('ns/b', 'y:80/TCP'))?.class).to.equal('connected');
  });

  it('the per-probe baseline issues one exec per target', async () => {
    const ex = new FakeExecutor(() => 'refused');
    const p = new PerProbeExecProber(ex, 3);
    const res = await p.round(requests);
    expect(ex.calls).to.have.length(5);
    expect([...res.values()].every((r) => r.class === 'refused')).to.equal(true);
  });

  it('a missing status frame is an error, never a deny', async () => {
    const ex = new FakeExecutor(() => 'connected', () => ({ stdout: '', stderr: '', exitCode: undefined }));
    const res = await new BatchProber(ex).round(requests);
    for (const r of res.values()) {
      expect(r.class).to.equal('error');
      expect(r.detail).to.match(/without a status/);
    }
  });

  it('an exec failure or non-zero agent exit marks the targets as errors', async () => {
    const ex = new FakeExecutor(
      () => 'connected',
      (pod) => (pod === 'a-pod' ? new Error('pods "a-pod" not found') : { stdout: '', stderr: 'bad targets\n', exitCode: 2 }),
    );
    const res = await new BatchProber(ex).round(requests);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))).to.include({ class: 'error' });
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.detail).to.match(/not found/);
    expect(res.get(cellKey('ns/b', 'x:80/TCP'))?.detail).to.match(/exited 2: bad targets/);
  });

  it('a target the agent did not answer is an error', async () => {
    const ex = new FakeExecutor(
      () => 'connected',
      () => ({ stdout: '{"id":"x:80/TCP","class":"connected"}\n{"done":true}\n', stderr: '', exitCode: 0 }),
    );
    const res = await new BatchProber(ex).round([{ source: src('a'), targets: [tcp('x:80/TCP'), tcp('y:80/TCP')] }]);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
    expect(res.get(cellKey('ns/a', 'y:80/TCP'))?.class).to.equal('error');
  });

  it('caps concurrent execs', async () => {
    let inFlight = 0;
    let peak = 0;
    const ex = {
      async exec() {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return { stdout: '', stderr: '', exitCode: 0 };
      },
    };
    const many = Array.from({ length: 20 }, (_, i) => ({ source: src(`s${i}`), targets: [tcp('x')] }));
    await new BatchProber(ex, { concurrency: 4 }).round(many);
    expect(peak).to.equal(4);
  });

  it('passes targets to the agent as JSON', () => {
    const cmd = agentCommand([tcp('x')], 16);
    expect(cmd.slice(0, 4)).to.deep.equal(['/bin/nph-agent', 'probe', '--parallel', '16']);
    expect(JSON.parse(cmd[5]!)).to.deep.equal([tcp('x')]);
  });
});
