// `netpol-harness lint`: text and JSON findings with rule id, severity, file:line, path, fix;
// exit 1 on errors, 0 without, 2 on unreadable input.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { runCli } from './run-cli.js';

const GOOD = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: api-in, namespace: app }
spec:
  podSelector: { matchLabels: { app: api } }
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector: { matchLabels: { app: web } }
      ports:
        - { port: 8080, protocol: TCP }
`;

describe('netpol-harness lint', () => {
  it('lints the seed suite: the DNS mistake it shows on purpose is info (with --verbose: file:line, the rule expecting it, a fix); exit 0', async () => {
    const r = await runCli('lint', 'suites/zero-trust');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^lint: 0 errors, 0 warnings, 6 info \(6 expected by the suite\) \(14 policies in 9 files\); 6 info hidden \(--verbose shows them\); 3 suppressed/m);
    const v = await runCli('lint', 'suites/zero-trust', '--verbose');
    expect(v.stdout).to.contain(
      'suites/zero-trust/policies/allow-dns-mistake.yaml:35: info NPH002 dns-pod-selector-only: [doc 1] spec.egress[0].to[0]: DNS peer podSelector k8s-app=kube-dns has no namespaceSelector, so it selects pods in develop only',
    );
    expect(v.stdout).to.match(/\n {4}fix: put namespaceSelector: \{matchLabels: \{kubernetes\.io\/metadata\.name: kube-system\}\} in the same peer/);
  });

  it('the policy files alone (no suite, so no expectations): the DNS mistake is an error; exit 1', async () => {
    const r = await runCli('lint', 'suites/zero-trust/policies/allow-dns-mistake.yaml');
    expect(r.code).to.equal(1);
    expect(r.stdout).to.contain('allow-dns-mistake.yaml:35: error NPH002 dns-pod-selector-only');
  });

  it('JSON output lists findings with rule, severity, file, path, line, message and fix', async () => {
    const r = await runCli('lint', 'suites/zero-trust/suite.yaml', '--output', 'json');
    const out = JSON.parse(r.stdout) as { findings: Record<string, unknown>[]; counts: Record<string, number> };
    expect(out.counts).to.deep.equal({ error: 0, warning: 0, info: 6 });
    const verbose = JSON.parse((await runCli('lint', 'suites/zero-trust/suite.yaml', '--output', 'json', '--verbose')).stdout) as typeof out;
    const f = verbose.findings.find((x) => x.rule === 'NPH002')!;
    expect(Object.keys(f).sort()).to.deep.equal(['expectedBy', 'file', 'fix', 'line', 'message', 'path', 'policy', 'rule', 'severity']);
    expect(f.expectedBy).to.equal('step dns-mistake rules[4] ("the podSelector-only peer matches no pod in kube-system")');
  });

  it('a clean policy file exits 0; a file with only warnings exits 0; unreadable input exits 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nph-lint-'));
    const good = path.join(dir, 'good.yaml');
    writeFileSync(good, GOOD);
    const ok = await runCli('lint', good);
    expect(ok.code).to.equal(0);
    expect(ok.stdout).to.contain('lint: 0 errors, 0 warnings, 0 info (1 policy in 1 file)');
    const wide = path.join(dir, 'wide.yaml');
    writeFileSync(wide, GOOD.replace('        - podSelector: { matchLabels: { app: web } }', '        - namespaceSelector: {}'));
    const warn = await runCli('lint', wide);
    expect(warn.code).to.equal(0);
    expect(warn.stdout).to.match(/wide\.yaml:9: warning NPH005 all-namespaces: spec\.ingress\[0\]\.from\[0\]\.namespaceSelector: namespaceSelector \{\} selects every pod of every namespace/);
    const missing = await runCli('lint', path.join(dir, 'nope.yaml'));
    expect(missing.code).to.equal(2);
    const broken = path.join(dir, 'broken.yaml');
    writeFileSync(broken, 'kind: [unclosed');
    expect((await runCli('lint', broken)).code).to.equal(2);
  });

  it('hides info findings unless --verbose, and counts them', async () => {
    const dir = 'test/harness/policy/fixtures/lint-no-dns';
    const quiet = await runCli('lint', dir);
    expect(quiet.code).to.equal(0);
    expect(quiet.stdout).to.equal('lint: 0 errors, 0 warnings, 2 info (1 policy in 2 files); 2 info hidden (--verbose shows them)\n');
    const loud = await runCli('lint', dir, '--verbose');
    expect(loud.stdout.match(/: info NPH017 not-isolated: /g)).to.have.length(2);
    const json = JSON.parse((await runCli('lint', dir, '--output', 'json')).stdout) as { findings: unknown[]; hiddenInfo: number; suppressed: number };
    expect([json.findings.length, json.hiddenInfo, json.suppressed]).to.deep.equal([0, 2, 0]);
  });
});
