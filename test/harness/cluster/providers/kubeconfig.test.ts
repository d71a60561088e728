// A kubeconfig that is missing, empty or not a kubeconfig is a usage error naming the file, never the
// client library's TypeError ("Cannot read properties of undefined (reading 'clusters')").
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadKubeconfig } from '../../../../harness/cluster/providers/existing.js';
import { UsageError } from '../../../../harness/errors.js';

const error = (f: () => unknown): Error => {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected an error');
};

describe('cluster: reading a kubeconfig', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-kc-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an empty file says it is empty', () => {
    const file = path.join(dir, 'empty');
    writeFileSync(file, '\n');
    const e = error(() => loadKubeconfig(file));
    expect(e).to.be.instanceOf(UsageError);
    expect(e.message).to.equal(`kubeconfig ${file} is empty`);
  });

  it('a document that is not a kubeconfig (YAML null), or a missing file, is named with the reason', () => {
    const list = path.join(dir, 'null');
    writeFileSync(list, 'null\n');
    const e = error(() => loadKubeconfig(list));
    expect(e).to.be.instanceOf(UsageError);
    expect(e.message).to.match(new RegExp(`^cannot read kubeconfig ${list}: `));
    expect(e.message).not.to.match(/Cannot read properties/);
    expect(error(() => loadKubeconfig(path.join(dir, 'nope'))).message).to.equal(`cannot read kubeconfig ${path.join(dir, 'nope')}: no such file`);
  });

  it('a real kubeconfig loads', () => {
    const file = path.join(dir, 'ok');
    writeFileSync(file, 'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n');
    expect(loadKubeconfig(file).getCurrentContext()).to.equal('x');
  });
});
