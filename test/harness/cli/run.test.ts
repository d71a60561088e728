import { expect } from 'chai';
import { exitCodeFor } from '../../../harness/cli/commands/run.js';
import type { RunSummary } from '../../../harness/report/index.js';
import { runCli } from './run-cli.js';

const summary = (over: Partial<RunSummary>): RunSummary =>
  ({ suite: 's', passed: false, steps: [], failedSteps: [], cells: 10, correct: 0, wrong: 0, authoring: 0, enforcement: 0, errors: 0, warnings: 0, retried: 0, attempts: 10, ...over });

describe('cli/run exit codes', () => {
  it('0 when every step matched, 1 on wrong cells', () => {
    expect(exitCodeFor(summary({ passed: true, correct: 10 }), 0)).to.equal(0);
    expect(exitCodeFor(summary({ correct: 9, wrong: 1 }), 0)).to.equal(1);
    expect(exitCodeFor(summary({ correct: 8, wrong: 1, errors: 1 }), 0)).to.equal(1);
  });

  it('2 when cells could not be judged and none was wrong, or cleanup failed', () => {
    expect(exitCodeFor(summary({ errors: 10 }), 0)).to.equal(2);
    // A fault under the run (node down): healthy cells judged, faulty ones errors, none wrong.
    expect(exitCodeFor(summary({ correct: 7, errors: 3 }), 0)).to.equal(2);
    expect(exitCodeFor(summary({ passed: true, correct: 10 }), 1)).to.equal(2);
  });
});

describe('cli/run flags', () => {
  it('--help lists every --via choice the suite format has (service, pod, dns)', async () => {
    const r = await runCli('run', '--help');
    expect(r.code).to.equal(0);
    expect(r.stdout.replace(/\s+/g, ' ')).to.match(/--via <how> .*\(choices: "service", "pod", "dns"\)/);
  });

  it('an unknown --via is a usage error before anything else happens (exit 2)', async () => {
    const r = await runCli('run', 'suites/zero-trust', '--via', 'nodeport');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("option '--via <how>' argument 'nodeport' is invalid");
  });
});

describe('cli/run --calico-dataplane', () => {
  it('a bad value exits 2 naming the flag and the choices', async () => {
    const r = await runCli('run', 'suites/zero-trust', '--cni', 'calico', '--calico-dataplane', 'ebpf');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("'--calico-dataplane <mode>' argument 'ebpf' is invalid").and.include('iptables, nftables');
  });

  it('with a CNI other than Calico it exits 2 before any cluster work', async () => {
    const r = await runCli('run', 'suites/zero-trust', '--cni', 'kube-router', '--calico-dataplane', 'nftables', '--cluster-name', 'nph-i11-never-created');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--calico-dataplane applies only when the harness installs Calico (--cni calico on --provider kind); this run uses CNI kube-router on provider kind');
    expect(r.stderr).not.to.include('creating kind cluster');
  });
});
