// One grammar across commands: every --help ends with examples and exit codes (and the examples use
// only flags the command has), changed flags warn, and a policy file given where a suite is expected
// points at lint.
import { expect } from 'chai';
import { outDirOf } from '../../../harness/cli/commands/discover.js';
import { COMMANDS } from '../../../harness/cli/commands/index.js';
import { COMMAND_HELP } from '../../../harness/cli/grammar.js';
import { buildProgram } from '../../../harness/cli/main.js';
import { UsageError } from '../../../harness/errors.js';
import { runCli } from './run-cli.js';

describe('CLI grammar', () => {
  for (const { name } of COMMANDS) {
    it(`${name} --help ends with examples and exit codes, and its examples use only its own flags`, async function () {
      this.timeout(20_000); // loads the command's module (run's cluster stack is the slowest)
      const r = await runCli(name, '--help');
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\nExamples:\n {2}netpol-harness /);
      expect(r.stdout).to.match(/\nExit codes:\n {2}0 {2}.*\n(.*\n)* {2}2 {2}.*\n*$/);
      const cmd = (await buildProgram([name])).commands.find((c) => c.name() === name)!;
      const flags = new Set(cmd.options.flatMap((o) => [o.long, o.short]).filter((f): f is string => f !== undefined));
      for (const example of COMMAND_HELP[name]!.examples) {
        for (const flag of example.split(/\s+/).filter((w) => w.startsWith('-'))) expect(flags, `${example}: ${flag}`).to.include(flag);
      }
    });
  }

  it('the top-level --help lists the exit codes every command uses', async () => {
    const r = await runCli('--help');
    expect(r.stdout).to.contain('Exit codes (every command):\n  0  everything agreed / passed\n  1  a verdict');
  });

  it('discover: --out-dir; the old -o DIR still works with a deprecation warning; neither is a usage error', () => {
    const warnings: string[] = [];
    const warn = (old: string, instead: string): number => warnings.push(`${old}: ${instead}`);
    expect(outDirOf({ outDir: 'staging' }, warn)).to.equal('staging');
    expect(warnings).to.deep.equal([]);
    expect(outDirOf({ output: 'old' }, warn)).to.equal('old');
    expect(warnings).to.deep.equal(['discover -o/--output <dir>: use --out-dir old (-o names an output format in every other command)']);
    expect(() => outDirOf({}, warn)).to.throw(UsageError, /--out-dir <dir>/);
  });

  it('validate and simulate given a policy file say so and point at lint (exit 2), instead of suite-schema errors', async () => {
    for (const cmd of ['validate', 'simulate']) {
      const r = await runCli(cmd, 'suites/zero-trust/policies/default-deny.yaml');
      expect(r.code).to.equal(2);
      expect(r.stderr).to.contain(`suites/zero-trust/policies/default-deny.yaml is a NetworkPolicy file, not a suite: ${cmd} takes a suite`);
      expect(r.stderr).to.contain('hint: netpol-harness lint suites/zero-trust/policies/default-deny.yaml checks policy files on their own');
    }
  });

  it('validate counts the matrix with its self cells taken out', async () => {
    const r = await runCli('validate', 'suites/zero-trust');
    expect(r.stdout).to.contain('matrix 9 sources x 9 columns (8 connection + 1 DNS) - 5 self = 76 cells per step');
  });

  it('run --plan implies --provider existing; with another provider it says so, exit 2, before any cluster', async () => {
    const r = await runCli('run', 'suites/zero-trust', '--plan', '--provider', 'kind');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('--plan works on an existing cluster and implies --provider existing; it cannot be combined with --provider kind');
  });
});
