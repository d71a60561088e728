import { expect } from 'chai';
import { main } from '../../../harness/cli/main.js';
import { helpFooter } from '../../../harness/cli/grammar.js';

async function capture(fn: () => Promise<number>): Promise<{ code: number; err: string }> {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = ((s: string) => ((err += s), true));
  try {
    return { code: await fn(), err };
  } finally {
    process.stderr.write = write;
  }
}

describe('cli: diagnose', () => {
  it('is registered; its help ends with examples and exit codes', () => {
    const footer = helpFooter('diagnose') ?? '';
    expect(footer).to.match(/Examples:\n {2}netpol-harness diagnose [\s\S]*Exit codes:\n {2}0 [\s\S]* {2}1 [\s\S]* {2}2 /);
    expect(footer.trimEnd().split('\n').at(-1)).to.match(/^ {2}2 /);
  });

  it('without a flow, or with a bad --want: exit 2 before touching any cluster', async () => {
    const none = await capture(() => main(['diagnose', '--kubeconfig', '/nonexistent']));
    expect(none.code).to.equal(2);
    expect(none.err).to.include('name a flow with --from and --to');
    const bad = await capture(() => main(['diagnose', '--from', 'a', '--to', 'b', '--want', 'maybe']));
    expect(bad.code).to.equal(2);
    const noKube = await capture(() => main(['diagnose', '--from', 'a', '--to', 'b', '--kubeconfig', '/nonexistent/kubeconfig']));
    expect(noKube.code).to.equal(2);
    expect(noKube.err).to.include('cannot read kubeconfig /nonexistent/kubeconfig');
  });
});
