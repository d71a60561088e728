// YAML read as kubectl reads it (issue 25, items 5-8): scalars by go-yaml v2's YAML 1.1 rules, merge
// keys, aliases bounded by what they expand to, and every error naming the file and line.
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { kubeScalar } from '../../../harness/suite/yaml-kube.js';
import { parseYaml } from '../../../harness/suite/yaml-source.js';
import { toYaml } from '../../../harness/suite/yaml-write.js';
import { TABLE } from './yaml-table.js';

const value = (text: string): unknown => {
  const r = parseYaml(text, 'f.yaml');
  expect(r.issues, JSON.stringify(r.issues)).to.deep.equal([]);
  return r.docs[0]!.value;
};

describe('suite/yaml-kube: YAML as kubectl reads it', () => {
  describe('the table of docs/yaml.md', () => {
    for (const r of TABLE) {
      it(`${JSON.stringify(r.text)}: kubectl ${JSON.stringify(r.kubectl)}, YAML 1.2 ${JSON.stringify(r.yaml12)}, ours ${JSON.stringify(r.ours)}`, () => {
        expect(kubeScalar(r.text)).to.deep.equal(r.kubectl);
        expect((value(`v: ${r.text}\n`) as { v: unknown }).v).to.deep.equal(r.ours);
        // The YAML 1.2 column is what a 1.2 parser (the yaml package) reads: the difference is real.
        expect((parseAllDocuments(`v: ${r.text}\n`)[0]!.toJS() as { v: unknown }).v).to.deep.equal(r.yaml12);
        // A quoted scalar is always the string.
        expect((value(`v: "${r.text}"\n`) as { v: unknown }).v).to.equal(r.text);
      });
    }
    it('is the table docs/yaml.md shows', () => {
      const doc = readFileSync('docs/yaml.md', 'utf8');
      for (const r of TABLE) expect(doc, r.text).to.include(`| \`${r.text}\` | ${JSON.stringify(r.kubectl)} | ${JSON.stringify(r.yaml12)} | ${JSON.stringify(r.ours)} |`);
    });
  });

  it('port: 05432 is octal 2842, as kubectl reads it (item 5)', () => {
    expect(value('port: 05432\n')).to.deep.equal({ port: 2842 });
  });

  it('yes, NO and on as label values are booleans, which validate then rejects with a hint to quote (item 6)', () => {
    expect(value('l: { a: yes, b: NO, c: on }\n')).to.deep.equal({ l: { a: true, b: false, c: true } });
  });

  it('merge keys and 5_432 are accepted (item 7)', () => {
    expect(value('base: &b { app: web }\nsel:\n  <<: *b\n  tier: db\nport: 5_432\n')).to.deep.equal({ base: { app: 'web' }, sel: { app: 'web', tier: 'db' }, port: 5432 });
  });

  describe('aliases (item 8)', () => {
    it('one anchor reused 150 times is fine', () => {
      const text = `base: &base { app: web, tier: x }\nitems:\n${'  - *base\n'.repeat(150)}`;
      expect((value(text) as { items: unknown[] }).items).to.have.length(150);
    });

    it('an alias bomb is refused by the size it expands to, naming the file and line', () => {
      let bomb = 'a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
      for (let i = 0; i < 8; i++) bomb += `${'bcdefghi'[i]}: &${'bcdefghi'[i]} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]\n`;
      const started = Date.now();
      const r = parseYaml(`# a comment\n---\n${bomb}`, 'bomb.yaml');
      expect(Date.now() - started).to.be.below(2000);
      expect(r.issues).to.deep.equal([{ file: 'bomb.yaml', path: '', line: 2, message: 'YAML cannot be read: aliases expand this document to more than 1,000,000 values (an alias bomb?)' }]);
    });

    it('an unresolved alias names the file, line and alias', () => {
      expect(parseYaml('a: 1\n---\nb: *nope\n', 'p.yaml').issues).to.deep.equal([{ file: 'p.yaml', path: '', line: 3, column: 9, message: 'YAML syntax error: unidentified alias "nope"' }]);
    });

    it('an alias inside its own anchor (a cycle) is refused', () => {
      expect(parseYaml('a: &x [*x]\n', 'p.yaml').issues[0]!.message).to.include('a cycle');
    });
  });

  describe('hostile shapes (item 15)', () => {
    it('a mapping used as a key is an error with its line, and no Node warning is printed', () => {
      const warnings: string[] = [];
      const onWarning = (w: Error): void => void warnings.push(w.message);
      process.on('warning', onWarning);
      try {
        const r = parseYaml('a: 1\n? { x: 1 }\n: y\n', 'k.yaml');
        expect(r.issues).to.have.length(1);
        expect(r.issues[0]).to.include({ file: 'k.yaml', line: 2 });
        expect(r.issues[0]!.message).to.include('a mapping key is itself a mapping or a list');
        expect(parseYaml('[a, b]: c\n', 'k.yaml').issues[0]!.message).to.include('a mapping key is itself');
      } finally {
        process.off('warning', onWarning);
      }
      expect(warnings).to.deep.equal([]);
    });

    it('deep nesting is refused where it gets too deep, not at line 1 column 1', () => {
      const text = `a: 1\nb: 2\nc: ${'['.repeat(400)}${']'.repeat(400)}\n`;
      const [issue] = parseYaml(text, 'd.yaml').issues;
      expect(issue).to.deep.include({ file: 'd.yaml', line: 3, message: 'YAML syntax error: nested more than 256 levels deep' });
      expect(issue!.column).to.be.greaterThan(250);
    });

    it('a text a mapping key only looks like ("[x]: y" in quotes) is read as a string', () => {
      expect(value('a: "[x]: y"\n')).to.deep.equal({ a: '[x]: y' });
    });
  });

  describe('documents', () => {
    it('lines count from the start of the file across documents and directives', () => {
      const r = parseYaml('%YAML 1.1\n---\na: 1\n---\nspec:\n  bad: 1\n', 'f.yaml');
      expect(r.docs.map((d) => d.value)).to.deep.equal([{ a: 1 }, { spec: { bad: 1 } }]);
      expect(r.docs[1]!.keyLineOf('spec.bad')).to.equal(6);
    });
  });

  describe('writing', () => {
    it('quotes every string YAML 1.1 would read as something else, so it reads back as written', () => {
      const v = { ns: 'y', on: 'on', port: '05432', u: '5_432', o: '0o17', b: '0b1', n: 5 };
      const text = toYaml(v);
      expect(value(text)).to.deep.equal(v);
    });
  });
});
