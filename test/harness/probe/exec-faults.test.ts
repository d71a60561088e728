import { expect } from 'chai';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { backoffMs, classifyExecError, DEFAULT_RETRY, type ExecFault } from '../../../harness/probe/exec-faults.js';
import { ExecError, errorText } from '../../../harness/probe/exec.js';
import { BatchProber, type SourcePod } from '../../../harness/probe/prober.js';
import { FakeExecutor } from './fakes.js';

const src: SourcePod = { endpoint: 'ns/a', namespace: 'ns', pod: 'a-1', container: 'agent', node: 'w1' };
const tcp = (id: string) => ({ id, kind: 'tcp' as const, host: '10.0.0.1', port: 80, timeoutMs: 1000 });
const noSleep = () => Promise.resolve();

describe('probe/exec-faults', () => {
  it('classifies exec failures by their wording', () => {
    expect(classifyExecError('exec in ns/a did not finish within 21000 ms')).to.equal('timeout');
    expect(classifyExecError('exec in ns/a: pods "a-1" not found')).to.equal('pod-gone');
    expect(classifyExecError('Unexpected server response: 404')).to.equal('pod-gone');
    expect(classifyExecError('unable to upgrade connection: container not found ("agent")')).to.equal('container-not-running');
    expect(classifyExecError('error dialing backend: dial tcp 172.18.0.3:10250: connect: no route to host')).to.equal('node-unreachable');
    expect(classifyExecError('connect ECONNREFUSED 127.0.0.1:6443')).to.equal('api-unreachable');
    expect(classifyExecError('something odd')).to.equal('other');
  });

  it('backs off exponentially up to a cap', () => {
    expect([0, 1, 2, 3, 4].map((n) => backoffMs(DEFAULT_RETRY, n))).to.deep.equal([500, 1000, 2000, 4000, 4000]);
  });
});

describe('probe/prober under exec faults', () => {
  it('an exec timeout is retried with back-off and counted; the retry\'s results are the verdicts', async () => {
    const faults: ExecFault[] = [];
    const slept: number[] = [];
    let n = 0;
    const ex = new FakeExecutor(() => 'refused', () => (++n === 1 ? new ExecError('exec in ns/a-1 did not finish within 21000 ms') : undefined));
    const res = await new BatchProber(ex, { retry: DEFAULT_RETRY, onFault: (f) => faults.push(f), sleep: (ms) => Promise.resolve(void slept.push(ms)) }).round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('refused');
    expect(faults).to.have.length(1);
    expect(faults[0]).to.include({ kind: 'timeout', pod: 'a-1', node: 'w1', willRetry: true });
    expect(slept).to.deep.equal([500]);
  });

  it('an exec that keeps failing ends in errors naming the pod, node and fault, after a bounded number of attempts: never a deny', async () => {
    const faults: ExecFault[] = [];
    const ex = new FakeExecutor(() => 'refused', () => new ExecError('exec in ns/a-1: error dialing backend: dial tcp 172.18.0.3:10250: connect: no route to host'));
    const res = await new BatchProber(ex, { retry: DEFAULT_RETRY, onFault: (f) => faults.push(f), sleep: noSleep }).round([{ source: src, targets: [tcp('x:80/TCP'), tcp('y:80/TCP')] }]);
    expect(ex.calls).to.have.length(3);
    for (const r of res.values()) {
      expect(r.class).to.equal('error');
      expect(r.detail).to.match(/node-unreachable, source pod ns\/a-1 on node w1, 3 attempts/);
    }
    expect(faults.map((f) => f.willRetry)).to.deep.equal([true, true, false]);
  });

  it('a source pod that is gone is replaced by its Deployment\'s new pod, which probes, in this round and the next', async () => {
    const ex = new FakeExecutor(() => 'connected', (pod) => (pod === 'a-1' ? new ExecError('exec in ns/a-1: pods "a-1" not found') : undefined));
    const replaced: string[] = [];
    const p = new BatchProber(ex, {
      retry: DEFAULT_RETRY,
      sleep: noSleep,
      resolveSource: (s) => Promise.resolve(void replaced.push(s.pod)).then(() => ({ ...s, pod: 'a-2', node: 'w2' })),
    });
    const first = await p.round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(first.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('connected');
    await p.round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(ex.calls.map((c) => c.pod)).to.deep.equal(['a-1', 'a-2', 'a-2']);
    expect(replaced).to.deep.equal(['a-1']);
  });

  it('a source pod that is gone with no replacement is an error for its cells, not a deny', async () => {
    const ex = new FakeExecutor(() => 'timeout', () => new ExecError('exec in ns/a-1: pods "a-1" not found'));
    const res = await new BatchProber(ex, { retry: DEFAULT_RETRY, sleep: noSleep, resolveSource: () => Promise.resolve(undefined) }).round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(ex.calls).to.have.length(1);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))).to.include({ class: 'error' });
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.detail).to.match(/pod-gone.*no running replacement pod found/);
  });

  it('without a retry policy a failed exec is tried once', async () => {
    const ex = new FakeExecutor(() => 'refused', () => new ExecError('exec in ns/a-1 did not finish within 1 ms'));
    const res = await new BatchProber(ex).round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(ex.calls).to.have.length(1);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.class).to.equal('error');
  });
});

describe('probe/exec errorText', () => {
  it('reads the message of a WebSocket ErrorEvent (not an Error), so a gone pod is told apart', () => {
    const ev = { type: 'error', message: 'Unexpected server response: 404', error: new Error('Unexpected server response: 404') };
    expect(errorText(ev)).to.equal('Unexpected server response: 404');
    expect(classifyExecError(errorText(ev))).to.equal('pod-gone');
    expect(errorText({ error: { message: 'connect ECONNREFUSED' } })).to.equal('connect ECONNREFUSED');
    expect(errorText(new Error('x'))).to.equal('x');
  });
});

describe('probe/prober: failure statuses from the API server', () => {
  it('a status without an exit code is classified by its message (node unreachable), not as the agent exiting', async () => {
    const faults: ExecFault[] = [];
    const status = { status: 'Failure', reason: 'InternalError', message: 'error dialing backend: dial tcp 172.18.0.4:10250: connect: no route to host' };
    const ex = new FakeExecutor(() => 'refused', () => ({ stdout: '', stderr: '', exitCode: 1, status }));
    const res = await new BatchProber(ex, { retry: DEFAULT_RETRY, onFault: (f) => faults.push(f), sleep: noSleep }).round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(faults.map((f) => f.kind)).to.deep.equal(['node-unreachable', 'node-unreachable', 'node-unreachable']);
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))).to.include({ class: 'error' });
    expect(res.get(cellKey('ns/a', 'x:80/TCP'))?.detail).to.match(/^exec failed: error dialing backend.*node w1/);
  });

  it('a non-zero exit of the agent itself stays agent-exit', async () => {
    const faults: ExecFault[] = [];
    const status = { status: 'Failure', reason: 'NonZeroExitCode', message: 'command terminated with non-zero exit code', details: { causes: [{ reason: 'ExitCode', message: '2' }] } };
    const ex = new FakeExecutor(() => 'refused', () => ({ stdout: '', stderr: 'bad targets\n', exitCode: 2, status }));
    await new BatchProber(ex, { onFault: (f) => faults.push(f) }).round([{ source: src, targets: [tcp('x:80/TCP')] }]);
    expect(faults.map((f) => f.kind)).to.deep.equal(['agent-exit']);
  });
});
