// `netpol-harness explain`: the reason for one cell in policy terms, per step or at one step.
import { expect } from 'chai';
import { runCli } from './run-cli.js';

const SEED = 'suites/zero-trust';

describe('netpol-harness explain', () => {
  it('explains the seed mistake for DNS at the dns-mistake step', async () => {
    const r = await runCli('explain', SEED, '--from', 'develop/frontend', '--to', 'dns', '--step', 'dns-mistake');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.contain('step 3/8 dns-mistake: develop/frontend -> dns: DENY');
    expect(r.stdout).to.contain('isolated by develop/default-deny, develop/allow-dns-mistake');
    expect(r.stdout).to.contain('closest miss (suites/zero-trust/policies/allow-dns-mistake.yaml:35): develop/allow-dns-mistake egress[0] to[0]: podSelector k8s-app=kube-dns without namespaceSelector selects pods in develop only');
  });

  it('explains only steps where both ends exist; an absent one at the given step is a usage error naming the steps that have it', async () => {
    const DYN = 'test/fixtures/e2e/dynamics';
    const all = await runCli('explain', DYN, '--from', 'nph-i13c-dyn/client', '--to', 'nph-i13c-dyn/web2:8080');
    expect(all.code).to.equal(0);
    expect([...all.stdout.matchAll(/^step (\d)\/7 ([a-z-]+): /gm)].map((m) => m[2])).to.deep.equal(['join', 'replace', 'recreate', 'remove-old', 'late']);
    const r = await runCli('explain', DYN, '--from', 'nph-i13c-dyn/client', '--to', 'nph-i13c-dyn/web2:8080', '--step', 'v1');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('do not both exist at step v1');
    expect(r.stderr).to.contain('steps where they do: 2 join, 3 replace, 4 recreate, 5 remove-old, 6 late');
  });

  it('without --step, shows how the verdict changes across every step', async () => {
    const r = await runCli('explain', SEED, '--from', 'attacker', '--to', 'task-api:http');
    const verdicts = [...r.stdout.matchAll(/^step (\d)\/8 [a-z-]+: sandbox\/attacker -> task-api\/task-api:8000\/TCP: (\w+)$/gm)].map((m) => m[2]);
    expect(verdicts).to.deep.equal(['ALLOW', 'DENY', 'DENY', 'DENY', 'DENY', 'DENY', 'DENY', 'ALLOW']);
    expect(r.stdout).to.contain('podSelector app.kubernetes.io/name=envoy matches pod labels {app: attacker, app.kubernetes.io/name: envoy}, but namespaceSelector kubernetes.io/metadata.name=envoy-gateway-system does not match namespace sandbox');
  });

  it('a destination without a port explains every declared port; JSON carries the structured sides', async () => {
    const r = await runCli('explain', SEED, '--from', 'task-api/task-api', '--to', 'kube-system/coredns', '--step', '4', '--output', 'json');
    const out = JSON.parse(r.stdout) as { steps: { cells: { cell: string; verdict: string; egress: { allowedBy: { ref: string }[] } }[] }[] };
    const cells = out.steps[0]!.cells;
    expect(cells.map((c) => [c.cell, c.verdict])).to.deep.equal([
      ['task-api/task-api -> kube-system/coredns:53/UDP', 'allow'],
      ['task-api/task-api -> kube-system/coredns:53/TCP', 'allow'],
    ]);
    expect(cells[1]!.egress.allowedBy[0]!.ref).to.equal('task-api/allow-dns-egress egress[0] to[0] ports[1]');
  });

  it('exits 2 with a hint for unknown endpoints', async () => {
    const r = await runCli('explain', SEED, '--from', 'ghost', '--to', 'dns');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/unknown source "ghost"/);
    expect(r.stderr).to.match(/hint: write <namespace>\/<name>/);
  });
});
