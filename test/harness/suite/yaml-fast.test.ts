// The YAML fast path must read every text it accepts exactly as the `yaml` package does (the
// reference, which keeps positions): differential over every YAML file in the repository and over
// the scalar forms where YAML parsers differ; and it must decline what it is not sure of.
import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isScalar, parseAllDocuments } from 'yaml';
import { fastYamlValues } from '../../../harness/suite/yaml-fast.js';
import { parseYaml } from '../../../harness/suite/yaml-source.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');

/** What the `yaml` path yields: the values of the non-empty documents, or undefined on any error. */
function reference(text: string): unknown[] | undefined {
  const docs = parseAllDocuments(text, { prettyErrors: false, uniqueKeys: true });
  const list = Array.isArray(docs) ? docs : [docs];
  if (list.some((d) => d.errors.length > 0)) return undefined;
  return list.filter((d) => d.contents !== null && !(isScalar(d.contents) && d.contents.value === null)).map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return f === 'node_modules' ? [] : yamlFiles(p);
    return /\.ya?ml$/.test(f) ? [p] : [];
  });
}

describe('suite/yaml-fast: the fast YAML path', () => {
  it('reads every YAML file of the repository as the yaml package does (or declines it)', () => {
    const files = ['suites', 'test/fixtures', 'clusters'].flatMap((d) => yamlFiles(path.join(ROOT, d)));
    expect(files.length).to.be.greaterThan(50);
    let taken = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const fast = fastYamlValues(text);
      if (fast === undefined) continue;
      taken++;
      const ref = reference(text);
      // Where the reference fails, the fast path must not succeed with a value.
      expect(ref, `${path.relative(ROOT, f)}: yaml rejects it, the fast path accepted it`).to.not.equal(undefined);
      expect(fast, path.relative(ROOT, f)).to.deep.equal(ref);
    }
    // The seed suite and its policies are read by the fast path (that is the point of it).
    expect(fastYamlValues(readFileSync(path.join(ROOT, 'suites/zero-trust/suite.yaml'), 'utf8'))).to.not.equal(undefined);
    expect(taken).to.be.greaterThan(files.length / 2);
  });

  const SCALARS = [
    '', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y', 'n',
    '0', '-0', '+12', '012', '0o17', '0O17', '0o18', '0x1F', '0X1F', '0xG', '0b101', '1_000', '1,000', '123456789012345678901',
    '1.5', '.5', '5.', '-.5', '1e3', '1E-3', '+1.2e+3', '1.2.3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', 'NaN', 'Infinity',
    '2001-12-14', '2001-12-14T21:59:43.10-05:00', '12:30:00', '1:20', '0.1.0', '"12"', "'true'", '"\\u00e9\\n"', "'it''s'",
    'a b  c', '-x', '"* -> task-api/*"', '[1, two, "3", null]', '{a: 1, b: [x, ~]}', '>-\n  folded\n  text', '|\n  literal\n  text\n',
    '"multi\n  line"', 'plain\n  continued', '=', '<<', '"#not a comment"', 'value # comment',
  ];
  for (const s of SCALARS) {
    it(`k: ${JSON.stringify(s)}`, () => {
      const text = `k: ${s}\nlist:\n  - ${s.includes('\n') ? JSON.stringify(s) : s}\n`;
      const fast = fastYamlValues(text);
      const ref = reference(text);
      if (fast !== undefined) expect(fast).to.deep.equal(ref);
      else expect(ref === undefined || /[&!%?\t]/.test(text), 'declined although it is plain YAML').to.equal(true);
    });
  }

  it('handles several documents, empty ones, CRLF line ends and a byte-order mark like yaml', () => {
    for (const text of ['a: 1\n---\n---\n# only a comment\n---\nb: [2]\n...\n', 'a: 1\r\nb:\r\n  - x\r\n', '\uFEFFa: 1\n', '---\n', '']) {
      expect(fastYamlValues(text), JSON.stringify(text)).to.deep.equal(reference(text));
    }
  });

  it('declines tabs, anchors and aliases, tags, directives, complex keys and anything js-yaml rejects', () => {
    for (const text of ['a:\n\tb: 1\n', 'a: &x [1]\nb: *x\n', 'a: !!str 12\n', '%YAML 1.2\n---\na: 1\n', '? [a]\n: 1\n', 'a: 1\na: 2\n', 'a: [1\n', 'b: *x\n']) {
      expect(fastYamlValues(text), JSON.stringify(text)).to.equal(undefined);
    }
  });

  it('parseYaml still gives lines (from the full parse, on demand) and yaml\'s own syntax errors', () => {
    const p = parseYaml('a: 1\nb:\n  c: [x, y]\n---\nd: 2\n', 'f.yaml');
    expect(p.docs.map((d) => d.value)).to.deep.equal([{ a: 1, b: { c: ['x', 'y'] } }, { d: 2 }]);
    expect(p.docs[0]!.lineOf('b.c')).to.equal(3);
    expect(p.docs[0]!.keyLineOf('b.c')).to.equal(3);
    expect(p.docs[1]!.lineOf('d')).to.equal(5);
    const bad = parseYaml('a: 1\na: 2\n', 'f.yaml');
    expect(bad.docs).to.deep.equal([]);
    expect(bad.issues[0]).to.include({ file: 'f.yaml', line: 2 });
    expect(bad.issues[0]!.message).to.match(/^YAML syntax error: Map keys must be unique/);
  });
});
