import { expect } from 'chai';
import { createProgress, formatElapsed, withStep } from '../../../harness/cluster/progress.js';

function sink(isTTY = false) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => void out.push(s) } };
}

// picocolors may add colour codes; compare the text only.
// eslint-disable-next-line no-control-regex
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '');

describe('cluster/progress', () => {
  it('formats elapsed time', () => {
    expect(formatElapsed(1234)).to.equal('1.2s');
    expect(formatElapsed(125_000)).to.equal('2m05s');
  });

  it('prints plain start and done lines with elapsed time when not a TTY', async () => {
    let t = 0;
    const { out, stream } = sink(false);
    const p = createProgress({ stream, now: () => t });
    const end = p.step('creating kind cluster nph-zero-trust');
    t = 61_000;
    end();
    await withStep(p, 'failing step', () => Promise.reject(new Error('x'))).catch(() => undefined);
    expect(out.map(plain)).to.deep.equal(['… creating kind cluster nph-zero-trust\n', '✓ creating kind cluster nph-zero-trust (1m01s)\n', '… failing step\n', '✗ failing step (failed after 0.0s)\n']);
  });

  it('redraws one live line with the timer on a TTY', () => {
    let t = 0;
    const { out, stream } = sink(true);
    const p = createProgress({ stream, now: () => t, intervalMs: 10_000 });
    const end = p.step('waiting for pods');
    t = 2500;
    end('3 pods');
    const text = plain(out.join(''));
    expect(text).to.include('… waiting for pods 0.0s');
    expect(text).to.include('\r\x1b[2K✓ waiting for pods (2.5s, 3 pods)\n');
  });
});
