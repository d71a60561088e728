// The top level of the CLI: the command listing, and unknown commands as usage errors.
import { expect } from 'chai';
import { COMMANDS, invokedCommand } from '../../../harness/cli/commands/index.js';
import { runCli } from './run-cli.js';

describe('cli: top level', () => {
  it('--help lists every command with its summary', async () => {
    const r = await runCli('--help');
    expect(r.code).to.equal(0);
    for (const c of COMMANDS) expect(r.stdout).to.match(new RegExp(`^  ${c.name}\\b.*${c.summary.slice(0, 20).replace(/[()]/g, '\\$&')}`, 'm'));
  });

  it("a command's own --help shows its options (its module is loaded)", async () => {
    const r = await runCli('validate', '--help');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('Usage: netpol-harness validate [options] <paths...>');
    expect(r.stdout).to.include('--output <format>');
  });

  for (const argv of [['nosuch'], ['nosuch', '--help'], ['nosuch', '-h'], ['help', 'nosuch'], ['--help', 'nosuch']]) {
    it(`${argv.join(' ')}: unknown command, exit 2 (not the top-level help)`, async () => {
      const r = await runCli(...argv);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include("unknown command 'nosuch'");
      expect(r.stdout).not.to.include('Usage:');
    });
  }

  it('suggests the closest command', async () => {
    const r = await runCli('valdate', '--help');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('(Did you mean validate?)');
  });

  it('invokedCommand picks the first operand, and the subject of help', () => {
    expect(invokedCommand(['--version'])).to.equal(undefined);
    expect(invokedCommand(['run', 'suite.yaml', '--cni', 'none'])).to.equal('run');
    expect(invokedCommand(['--help', 'lint'])).to.equal('lint');
    expect(invokedCommand(['help', 'lint'])).to.equal('lint');
    expect(invokedCommand(['help'])).to.equal('help');
  });
});
