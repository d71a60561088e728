// `conformance --random`: bad flags exit 2 with a message naming the flag, before any cluster work.
import { expect } from 'chai';
import { parseRandomFlags } from '../../../harness/cli/commands/conformance-random.js';
import { runCli } from './run-cli.js';

describe('cli: conformance --random flags', () => {
  for (const [argv, message] of [
    [['--random', '0'], '--random must be between 1 and 1000'],
    [['--random', 'two'], '--random must be a whole number'],
    [['--random', '2', '--seed', '1.5'], '--seed must be a whole number'],
    [['--random', '2', '--seed', '-1'], '--seed must be a whole number'],
    [['--random', '2', '--focus', 'isolation-ingress'], '--focus does not apply to --random'],
    [['--seed', '3'], '--seed needs --random'],
  ] as const) {
    it(`${argv.join(' ')}: exit 2, "${message}"`, async () => {
      const r = await runCli('conformance', ...argv, '--cluster-name', 'nph-r-never-created');
      expect(r.code).to.equal(2);
      expect(r.stdout + r.stderr).to.include(message);
      expect(r.stdout).to.not.include('random conformance: seed');
    });
  }

  it('parseRandomFlags: a given seed is kept; no seed picks one', () => {
    expect(parseRandomFlags({ random: 4, seed: '4294967295' })).to.deep.equal({ n: 4, seed: 4294967295 });
    const picked = parseRandomFlags({ random: 1 });
    expect(Number.isInteger(picked.seed) && picked.seed >= 0).to.equal(true);
  });
});
