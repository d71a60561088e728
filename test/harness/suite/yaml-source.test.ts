// Positions validate relies on: syntax errors carry a line, keys have their own line, and
// empty documents are skipped as kubectl does.
import { expect } from 'chai';
import { parseYaml } from '../../../harness/suite/yaml-source.js';

describe('suite/yaml-source (positions for validate)', () => {
  it('every syntax error has a line and column', () => {
    const r = parseYaml('a: 1\nb:\n\tc: 2\n', 'f.yaml');
    expect(r.issues.length).to.be.greaterThan(0);
    expect(r.issues[0]).to.include({ file: 'f.yaml', line: 3, column: 1 });
    const dup = parseYaml('a: 1\nb: 2\na: 3\n', 'f.yaml');
    expect(dup.issues[0]).to.include({ line: 3 });
    expect(dup.issues[0]!.message).to.include('duplicated mapping key');
  });
  it('keyLineOf gives the line of a key whose value starts on the next line', () => {
    const [d] = parseYaml('spec:\n  ingres:\n    - from: []\n  egress: []\nlist:\n  - x\n', 'f.yaml').docs;
    expect(d!.lineOf('spec.ingres')).to.equal(3);
    expect(d!.keyLineOf('spec.ingres')).to.equal(2);
    expect(d!.keyLineOf('spec.egress')).to.equal(4);
    expect(d!.keyLineOf('list[0]')).to.equal(6);
    expect(d!.keyLineOf('spec.missing')).to.equal(2);
  });
  it('skips empty documents (a trailing ---, comment-only sections)', () => {
    const r = parseYaml('a: 1\n---\n# only a comment\n---\nb: 2\n---\n', 'f.yaml');
    expect(r.issues).to.deep.equal([]);
    expect(r.docs.map((d) => d.value)).to.deep.equal([{ a: 1 }, { b: 2 }]);
  });
});
