// action.yml (the composite GitHub Action) and the nightly workflow that uses it: the inputs users
// rely on, every run step delegating to a script that exists, no expression spliced into a script,
// and shellcheck/actionlint clean where those tools are installed.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
}
interface Action {
  inputs: Record<string, { required?: boolean; default?: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}
const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as Action;
const nightly = parse(readFileSync(path.join(ROOT, '.github/workflows/nightly.yml'), 'utf8')) as { jobs: Record<string, { steps: Step[] }> };

/** The tool from its variable, PATH, or the cache scripts/ci/install-test-tools.sh (run by .ci/run) fills. */
function tool(name: string, envVar: string): string | undefined {
  const explicit = process.env[envVar];
  if (explicit) return explicit;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (r.status === 0) return r.stdout.trim();
  const cached = path.join(process.env.NPH_CACHE ?? '/var/cache/netpol-harness', 'tools', 'bin', name);
  return existsSync(cached) ? cached : undefined;
}

describe('action.yml', () => {
  it('is a composite action with the documented inputs and outputs', () => {
    expect(action.runs.using).to.equal('composite');
    expect(Object.keys(action.inputs)).to.include.members(['suite', 'cni', 'kind-version', 'node-image', 'report-dir']);
    expect(action.inputs.suite!.required).to.equal(true);
    expect(action.inputs.cni!.default).to.equal('calico');
    expect(Object.keys(action.outputs)).to.have.members(['exit-code', 'report-dir']);
  });

  it('every run step calls a script under scripts/action that exists, with inputs passed through env only', () => {
    const runs = action.runs.steps.filter((s) => s.run !== undefined);
    for (const s of runs) expect(s.run, s.name).not.to.include('${{');
    const scripts = runs.flatMap((s) => [...s.run!.matchAll(/\$GITHUB_ACTION_PATH\/(scripts\/action\/[\w-]+\.sh)/g)].map((m) => m[1]!));
    expect(scripts).to.have.length.greaterThan(4);
    for (const f of scripts) expect(existsSync(path.join(ROOT, f)), f).to.equal(true);
  });

  it('uploads the reports and judges the run even when an earlier step failed', () => {
    const upload = action.runs.steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'))!;
    expect(upload.if).to.match(/^always\(\)/);
    const last = action.runs.steps[action.runs.steps.length - 1]!;
    expect(last.if).to.equal('always()');
    expect(last.run).to.include('verdict.sh');
    expect(last.env!.EXIT_CODE).to.equal('${{ steps.run.outputs.exit-code }}');
  });

  it('the nightly workflow runs the suite through it (uses: ./)', () => {
    const steps = Object.values(nightly.jobs).flatMap((j) => j.steps);
    const used = steps.find((s) => s.uses === './')!;
    expect(used, 'a step with uses: ./').to.not.equal(undefined);
    expect(Object.keys(used.with!)).to.include.members(['suite', 'cni', 'kind-version', 'node-image', 'report-dir']);
    for (const k of Object.keys(used.with!)) expect(action.inputs, `input ${k}`).to.have.property(k);
    // Go and the agent image are the action's business now, not the workflow's.
    expect(steps.map((s) => s.uses ?? '')).not.to.include.members(['actions/setup-go@v6']);
  });

  it('the nightly describes --cni none as what it installs (a plain bridge CNI, not kindnet)', () => {
    const text = readFileSync(path.join(ROOT, '.github/workflows/nightly.yml'), 'utf8');
    expect(text).not.to.match(/kindnet/);
    expect(text).to.match(/none = a plain bridge CNI that does not enforce NetworkPolicy/);
  });

  it('shellcheck finds nothing in the step scripts', function () {
    const shellcheck = tool('shellcheck', 'NPH_SHELLCHECK');
    if (!shellcheck) return this.skip(); // not installed: bash scripts/ci/install-test-tools.sh (Debian: apt-get install shellcheck)
    const dir = path.join(ROOT, 'scripts/action');
    const files = readdirSync(dir).filter((f) => f.endsWith('.sh')).map((f) => path.join(dir, f));
    const r = spawnSync(shellcheck, ['-x', '-P', 'SCRIPTDIR', ...files, path.join(ROOT, 'scripts/build-agent-binaries.sh')], { encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });

  it('actionlint finds nothing in the workflows (including the inputs given to ./)', function () {
    this.timeout(30_000);
    const actionlint = tool('actionlint', 'NPH_ACTIONLINT');
    if (!actionlint) return this.skip(); // not installed: bash scripts/ci/install-test-tools.sh (go install github.com/rhysd/actionlint/cmd/actionlint)
    const r = spawnSync(actionlint, [], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status, r.stdout + r.stderr).to.equal(0);
  });
});
