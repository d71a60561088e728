// Control characters from suite text (YAML escapes "\a", "\0", "\e") never reach the terminal,
// summary.md or report.html raw (issue 25, item 15): they are shown as \u escapes.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { printable } from '../../harness/printable.js';
import { runCli } from './cli/run-cli.js';

// eslint-disable-next-line no-control-regex -- looking for raw control characters
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f]/;

describe('printable', () => {
  it('escapes C0, DEL, C1 and bidi overrides, keeps tab, newline and other text', () => {
    expect(printable('a\u0007b\u0000c\u001b[2Jd\re\u202ef')).to.equal('a\\u0007b\\u0000c\\u001b[2Jd\\u000de\\u202ef');
    expect(printable('tab\there\nnext ✓ ü')).to.equal('tab\there\nnext ✓ ü');
  });

  describe('through the CLI', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'nph-ctrl-'));
      cpSync('test/fixtures/valid/minimal', dir, { recursive: true });
      const suite = path.join(dir, 'suite.yaml');
      const text = readFileSync(suite, 'utf8')
        .replace('  - name: open\n', '  - name: open\n    description: "bell\\a nul\\0 esc\\e[2J"\n')
        .replace('        - allow: "app/db -> app/web:8080/TCP"', '        - allow: "app/db -> app/web:8080/TCP"\n          reason: "why\\a\\e[31m"');
      writeFileSync(suite, text);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('check: the terminal, summary.md and report.html carry no raw control character', async () => {
      const out = path.join(dir, 'out');
      const r = await runCli('check', path.join(dir, 'suite.yaml'), '--report-dir', out);
      expect(r.code, r.stderr).to.be.oneOf([0, 1]);
      expect(r.stdout).to.include('reason "why\\u0007\\u001b[31m"');
      expect(r.stdout).not.to.match(RAW);
      for (const f of readdirSync(out)) expect(readFileSync(path.join(out, f), 'utf8'), f).not.to.match(RAW);
      expect(readFileSync(path.join(out, 'summary.md'), 'utf8')).to.include('bell\\u0007 nul\\u0000 esc\\u001b[2J');
      expect(readFileSync(path.join(out, 'report.html'), 'utf8')).to.include('bell\\u0007 nul\\u0000 esc\\u001b[2J');
    });

    it('an error naming an unknown key with control characters prints it escaped', async () => {
      const bad = path.join(dir, 'bad.yaml');
      writeFileSync(bad, readFileSync(path.join(dir, 'suite.yaml'), 'utf8').replace('kind: Suite\n', 'kind: Suite\n"x\\a\\e[2J": 1\n'));
      const r = await runCli('validate', bad);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include('x\\u0007\\u001b[2J');
      expect(r.stderr).not.to.match(RAW);
    });
  });
});
