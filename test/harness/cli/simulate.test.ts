// `netpol-harness simulate`: table and JSON per step, --step by name or number, --cni, exit codes.
import { expect } from 'chai';
import { runCli } from './run-cli.js';

const SEED = 'suites/zero-trust';

describe('netpol-harness simulate', () => {
  it('prints one compact table per step with a column legend and allow/deny marks', async () => {
    const r = await runCli('simulate', SEED, '--ascii');
    expect(r.code).to.equal(0);
    expect(r.stdout.match(/^step \d\/8 /gm)).to.have.length(8);
    expect(r.stdout).to.contain('step 3/8 dns-mistake (CNI profile calico)');
    expect(r.stdout).to.contain('     9 dns:backend.develop.svc.cluster.local');
    // Step 2 (default-deny): the attacker still resolves DNS (its namespace has no policy), frontend does not.
    const step2 = r.stdout.split('\n\n')[1]!;
    expect(step2).to.match(/^ {2}sandbox\/attacker +X X X X X \. \. \. \.$/m);
    expect(step2).to.match(/^ {2}develop\/frontend +X X # X X X X X X$/m);
  });

  it('--step accepts a name or a 1-based number; --output json is machine-readable', async () => {
    const byName = await runCli('simulate', SEED, '--step', 'allow-dns', '--output', 'json');
    const byNumber = await runCli('simulate', SEED, '--step', '4', '--output', 'json');
    expect(byName.code).to.equal(0);
    expect(byName.stdout).to.equal(byNumber.stdout);
    const out = JSON.parse(byName.stdout) as { profile: string; steps: { name: string; cells: { src: string; col: string; verdict: string; explanation: { summary: string } }[] }[] };
    expect(out.profile).to.equal('calico');
    expect(out.steps.map((s) => s.name)).to.deep.equal(['allow-dns']);
    const cell = out.steps[0]!.cells.find((c) => c.src === 'develop/frontend' && c.col === 'dns:backend.develop.svc.cluster.local')!;
    expect(cell.verdict).to.equal('allow');
    expect(cell.explanation.summary).to.match(/^resolves: DNS needs develop\/frontend -> kube-system\/coredns:53\/UDP/);
    expect(out.steps[0]!.cells).to.have.length(76);
  });

  it('uses the run reports\' symbols: Unicode on a UTF-8 terminal, ASCII with --ascii', async () => {
    const saved = { LANG: process.env.LANG, LC_ALL: process.env.LC_ALL };
    process.env.LANG = 'C.UTF-8';
    delete process.env.LC_ALL;
    try {
      const unicode = await runCli('simulate', SEED, '--step', 'default-deny');
      expect(unicode.stdout).to.match(/^ {2}sandbox\/attacker +✗ ✗ ✗ ✗ ✗ ✓ ✓ ✓ ✓$/m);
      expect(unicode.stdout).to.contain('✓ allow  ✗ deny  # self (not probed)');
      const ascii = await runCli('simulate', SEED, '--step', 'default-deny', '--ascii');
      expect(ascii.stdout).to.match(/^ {2}sandbox\/attacker +X X X X X \. \. \. \.$/m);
      expect(ascii.stdout).not.to.match(/[✓✗]/);
    } finally {
      for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k]; else process.env[k] = v;
    }
  });

  it('--cni none shows a non-enforcing plugin: everything allowed', async () => {
    const r = await runCli('simulate', SEED, '--step', 'default-deny', '--cni', 'none');
    expect(r.stdout).to.contain('allow 76, deny 0');
  });

  it('exits 2 on an unknown step or an invalid suite', async () => {
    const step = await runCli('simulate', SEED, '--step', 'nope');
    expect(step.code).to.equal(2);
    expect(step.stderr).to.match(/no step "nope"/);
    const missing = await runCli('simulate', 'test/harness/policy/fixtures/does-not-exist.yaml');
    expect(missing.code).to.equal(2);
  });
});
