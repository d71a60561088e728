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

  it('JSON names steps as the text does (number, 1-based) next to the 0-based index', async () => {
    const sim = JSON.parse((await runCli('simulate', 'suites/zero-trust', '--step', 'default-deny', '-o', 'json')).stdout) as { steps: { index: number; number: number; name: string }[] };
    expect(sim.steps.map((s) => [s.name, s.index, s.number])).to.deep.equal([['default-deny', 1, 2]]);
    const ex = JSON.parse((await runCli('explain', 'suites/zero-trust', '--from', 'develop/frontend', '--to', 'dns', '--step', 'dns-mistake', '-o', 'json')).stdout) as { steps: { index: number; number: number }[] };
    expect(ex.steps.map((s) => [s.index, s.number])).to.deep.equal([[2, 3]]);
  });

  it('validate takes paths as check does: several suites, or a directory of suites; any invalid one exits 2 naming it', async () => {
    const all = await runCli('validate', 'suites/');
    expect(all.code).to.equal(0);
    expect(all.stdout.split('\n').filter((l) => / valid: /.test(l)).map((l) => l.split(':')[0])).to.deep.equal(['suites/examples/external-clients/suite.yaml', 'suites/real-apps/suite.yaml', 'suites/zero-trust/suite.yaml', 'suites/zero-trust-cluster/suite.yaml']);
    const mixed = await runCli('validate', 'suites/zero-trust', 'test/fixtures/invalid/yaml-two-documents', 'no/such/dir');
    expect(mixed.code).to.equal(2);
    expect(mixed.stdout).to.contain('suites/zero-trust/suite.yaml: valid:');
    expect(mixed.stderr).to.contain('test/fixtures/invalid/yaml-two-documents/suite.yaml: a suite file holds exactly one YAML document');
    expect(mixed.stderr).to.contain('no/such/dir: file not found');
    const json = JSON.parse((await runCli('validate', 'suites/', '-o', 'json')).stdout) as { ok: boolean }[];
    expect(json.map((j) => j.ok)).to.deep.equal([true, true, true, true]);
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
