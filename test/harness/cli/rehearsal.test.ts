import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from './run-cli.js';

const FIX = path.resolve(import.meta.dirname, '../../e2e/fixtures/rehearsal');
const KUBECONFIG = `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: "https://127.0.0.1:1" } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: staging, context: { cluster: c, user: u } }]
current-context: staging
`;

describe('cli: run --plan / --keep-changes and discover, bad input (exit 2 before any cluster call)', () => {
  let dir = '';
  let kc = '';
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nph-rehearsal-cli-'));
    kc = path.join(dir, 'kubeconfig');
    await writeFile(kc, KUBECONFIG);
  });

  it('--plan and --keep-changes are for --provider existing', async () => {
    const r = await runCli('run', path.join(FIX, 'ok.yaml'), '--plan', '--provider', 'kind');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('--plan works on an existing cluster and implies --provider existing');
    const k = await runCli('run', path.join(FIX, 'ok.yaml'), '--keep-changes', '--provider', 'k3s');
    expect(k.code).to.equal(2);
  });

  it('--plan with a context the kubeconfig does not have names it and the known ones', async () => {
    const r = await runCli('run', path.join(FIX, 'ok.yaml'), '--plan', '--kubeconfig', kc, '--context', 'prod-typo');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('"prod-typo" not found').and.include('known contexts: staging');
  });

  it('discover needs -n or --all-namespaces, not both, and a known context; nothing is written', async () => {
    const out = path.join(dir, 'out');
    expect((await runCli('discover', '--kubeconfig', kc, '--out-dir', out)).code).to.equal(2);
    const both = await runCli('discover', '--kubeconfig', kc, '-n', 'a', '-A', '--out-dir', out);
    expect(both.code).to.equal(2);
    expect(both.stderr).to.include('not both');
    const ctx = await runCli('discover', '--kubeconfig', kc, '--context', 'nope', '-A', '-o', out);
    expect(ctx.code).to.equal(2);
    expect(ctx.stderr).to.include('"nope" not found');
    expect(existsSync(out)).to.equal(false);
  });
});
