// What `lint <dir>` reads: a broken suite.yaml is reported (exit 2), never passed over for the loose
// policies; files that are not Kubernetes YAML (Helm templates, unrelated broken YAML) are skipped
// with a note and the rest is linted; a broken policy file is still an error.
import { expect } from 'chai';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runLint } from '../../../harness/cli/commands/lint.js';
import { InputError } from '../../../harness/errors.js';
import { lintPath } from '../../../harness/policy/lint/load.js';
import { renderLint } from '../../../harness/policy/lint/render.js';

const DENY = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: app}
spec:
  podSelector: {}
  policyTypes: [Ingress]
`;
// Helm templates: the first does not parse as YAML; the second does (a flow map), into nonsense.
const HELM_IF = `{{- if .Values.enabled }}
apiVersion: v1
kind: ConfigMap
{{- end }}
`;
const HELM_NP = `apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ .Values.name }}
  namespace: {{ .Release.Namespace }}
spec:
  podSelector: {}
`;

async function rejection(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).to.be.instanceOf(InputError);
  return e as InputError;
}

describe('lint <dir>: what it reads', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'nph-lint-load-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a suite.yaml that does not load is an input error naming it, the field and the line, not a lint of the loose policies', async () => {
    await cp('suites/zero-trust', dir, { recursive: true });
    const suite = path.join(dir, 'suite.yaml');
    await writeFile(suite, (await readFile(suite, 'utf8')).replace(/^kind: Suite$/m, 'kind: Suit'));
    const e = await rejection(lintPath(dir));
    expect(e.issues[0]!.file).to.match(/suite\.yaml$/);
    expect(e.issues[0]!.message).to.match(/the suite could not be loaded, so nothing was linted/);
    expect(e.issues[1]).to.include({ path: 'kind', line: 11 });
    expect(e.issues[1]!.file).to.match(/suite\.yaml$/);
    expect(e.exitCode).to.equal(2);
  });

  it('a suite file named on the command line with a mistyped kind: the suite could not be loaded, naming the field', async () => {
    await cp('suites/zero-trust', dir, { recursive: true });
    const suite = path.join(dir, 'suite.yaml');
    await writeFile(suite, (await readFile(suite, 'utf8')).replace(/^kind: Suite$/m, 'kind: Suit'));
    const e = await rejection(lintPath(suite));
    expect(e.issues[0]!.message).to.match(/the suite could not be loaded/);
    expect(e.issues[1]).to.include({ path: 'kind', line: 11 });
  });

  it('a broken suite found among the files of a directory is an error too', async () => {
    await writeFile(path.join(dir, 'a-suite.yaml'), 'apiVersion: netpol-harness/v1\nkind: Suite\nmetadata: {name: x}\nnamespaces: 3\n');
    await writeFile(path.join(dir, 'deny.yaml'), DENY);
    const e = await rejection(lintPath(dir));
    expect(e.issues[0]!.message).to.match(/the suite could not be loaded/);
    expect(e.issues[0]!.file).to.match(/a-suite\.yaml$/);
  });

  it('skips Helm templates and broken YAML that is no policy, with a note, and lints the rest', async () => {
    await mkdir(path.join(dir, 'chart', 'templates'), { recursive: true });
    await writeFile(path.join(dir, 'chart', 'templates', 'cm.yaml'), HELM_IF);
    await writeFile(path.join(dir, 'chart', 'templates', 'np.yaml'), HELM_NP);
    await writeFile(path.join(dir, 'chart', 'values.yaml'), 'name: web\nenabled: true\n');
    await writeFile(path.join(dir, 'notes.yaml'), 'a: [1, 2\n');
    await writeFile(path.join(dir, 'deny.yaml'), DENY);
    const r = await lintPath(dir);
    expect(r.policies).to.equal(1);
    expect(r.files.map((f) => path.basename(f))).to.deep.equal(['deny.yaml']);
    expect(r.skipped!.map((s) => [path.basename(s.file), /template/.test(s.reason)])).to.deep.equal([
      ['cm.yaml', true],
      ['np.yaml', true],
      ['notes.yaml', false],
    ]);
    expect(r.skipped![2]!.reason).to.match(/not valid YAML/);
    const text = renderLint(r);
    expect(text.split('\n')[0]).to.match(/^note: skipped .*chart\/templates\/cm\.yaml: a template \(\{\{ \}\}\), not Kubernetes YAML/);
    const json = JSON.parse((await runLint(dir, { output: 'json' })).stdout) as { skipped: { file: string }[]; policies: number };
    expect([json.skipped.length, json.policies]).to.deep.equal([3, 1]);
  });

  it('a NetworkPolicy file that does not parse is still an error (only non-policy YAML is skipped)', async () => {
    await writeFile(path.join(dir, 'deny.yaml'), DENY);
    await writeFile(path.join(dir, 'broken.yaml'), `${DENY}  ingress: [ {from: }\n`);
    const e = await rejection(lintPath(dir));
    expect(e.issues[0]!.file).to.match(/broken\.yaml$/);
    expect(e.issues[0]!.message).to.match(/YAML syntax error/);
  });

  it('a directory of templates only: the error says what was skipped', async () => {
    await writeFile(path.join(dir, 'np.yaml'), HELM_NP);
    const e = await rejection(lintPath(dir));
    expect(e.issues.map((i) => i.message)).to.deep.equal(['holds no suite and no NetworkPolicy document', 'skipped: a template ({{ }}), not Kubernetes YAML: render it (e.g. helm template) and lint the output']);
  });

  it('a template named on the command line is an error, not skipped', async () => {
    const file = path.join(dir, 'np.yaml');
    await writeFile(file, HELM_IF);
    await rejection(lintPath(file));
  });
});
