// `validate` shows the DNS checks every source makes, and says when the harness added one itself
// because probe.dnsNames is omitted.
import { expect } from 'chai';
import { runCli } from './run-cli.js';

describe('netpol-harness validate: DNS checks', () => {
  it('names the implicit DNS check when probe.dnsNames is omitted', async () => {
    const r = await runCli('validate', 'test/harness/policy/fixtures/sim');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/; DNS check: every source resolves web\.app\.svc\.cluster\.local \(implicit: probe\.dnsNames is omitted, so the first workload's Service is used\)\n$/);
    const json = JSON.parse((await runCli('validate', 'test/harness/policy/fixtures/sim', '--output', 'json')).stdout) as { summary: { dnsNames: string[]; implicitDnsCheck: boolean } };
    expect(json.summary).to.include({ implicitDnsCheck: true });
    expect(json.summary.dnsNames).to.deep.equal(['web.app.svc.cluster.local']);
  });

  it('lists declared DNS names, and says when there is none', async () => {
    expect((await runCli('validate', 'suites/zero-trust')).stdout).to.match(/; DNS check: every source resolves backend\.develop\.svc\.cluster\.local\n$/);
    expect((await runCli('validate', 'test/harness/policy/fixtures/lint-no-dns')).stdout).to.match(/; no DNS check \(probe\.dnsNames: \[\]\)\n$/);
  });
});
