// Every command the README shows is run by a test, its exit code included (each README command ends
// with `# exit N`). Cluster-free ones run here, in a scratch project laid out as the README says
// (the package under node_modules, the seed suite copied to netpol/), and the ```text block after a
// command must appear in its output. Commands that need a cluster are named below with the e2e test
// that runs them; this test checks that file runs that command with those flags.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/run-cli.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..', '..');
const CLI = 'npx netpol-harness ';

/** Commands that need a cluster, and the e2e test that runs each (behind its flag, see CONTRIBUTING.md). */
const CLUSTER_COVERAGE: { match: RegExp; e2e: string }[] = [
  { match: /^run netpol\/suite\.yaml /, e2e: 'test/e2e/install.e2e.ts' },
  { match: /^(discover|validate staging|run staging)/, e2e: 'test/e2e/rehearsal.e2e.ts' },
  { match: /^diagnose /, e2e: 'test/e2e/diagnose.e2e.ts' },
];

interface Shown {
  command: string;
  exit: number;
  /** The ```text block right after the command's block, when the block holds this one command. */
  output?: string[];
}

/** The README's shell blocks: setup lines and netpol-harness commands, in order. */
function readmeCommands(): { setup: string[]; commands: Shown[]; devCommands: string[] } {
  const text = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const blocks = [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
  const setup: string[] = [];
  const commands: Shown[] = [];
  const devCommands: string[] = [];
  blocks.forEach((b, i) => {
    if (b.lang !== 'bash') return;
    const lines = b.body.split('\n').filter((l) => l.trim() !== '');
    const own = lines.filter((l) => l.startsWith(CLI));
    for (const l of lines) {
      if (l.startsWith('cp ')) setup.push(l);
      else if (l === 'npm ci' || l === 'npm test') devCommands.push(l);
      else if (!l.startsWith(CLI) && !l.startsWith('npm install ')) throw new Error(`README: a shell line the tests do not know: ${l}`);
    }
    const next = blocks[i + 1];
    for (const l of own) {
      const m = /^npx netpol-harness (.+?)\s+# exit (\d)$/.exec(l);
      if (!m) throw new Error(`README: a command without its "# exit N": ${l}`);
      const output = own.length === 1 && next?.lang === 'text' ? next.body.split('\n').filter((x) => x.trim() !== '') : undefined;
      commands.push({ command: m[1]!, exit: Number(m[2]), ...(output ? { output } : {}) });
    }
  });
  return { setup, commands, devCommands };
}

describe('README: every command it shows', () => {
  const { setup, commands, devCommands } = readmeCommands();
  let project: string;
  let cwd: string;

  before(() => {
    cwd = process.cwd();
    project = mkdtempSync(path.join(tmpdir(), 'nph-readme-'));
    mkdirSync(path.join(project, 'node_modules'));
    symlinkSync(ROOT, path.join(project, 'node_modules', 'netpol-harness'));
    for (const line of setup) execFileSync('sh', ['-c', line], { cwd: project });
    process.chdir(project);
  });
  after(() => {
    process.chdir(cwd);
    rmSync(project, { recursive: true, force: true });
  });

  it('shows the three paths\' commands, each with its exit code', () => {
    expect(commands.map((c) => c.command.split(' ')[0])).to.include.members(['check', 'run', 'discover', 'explain']);
  });

  for (const c of commands) {
    const cover = CLUSTER_COVERAGE.find((x) => x.match.test(c.command));
    if (cover) {
      it(`${c.command}: run by ${cover.e2e} with these flags`, () => {
        const e2e = readFileSync(path.join(ROOT, cover.e2e), 'utf8');
        const words = c.command.split(/\s+/);
        expect(e2e, `${cover.e2e} runs ${words[0]}`).to.include(`'${words[0]}'`);
        for (const flag of words.filter((w) => w.startsWith('-'))) expect(e2e, `${cover.e2e} passes ${flag}`).to.match(new RegExp(`'${flag}'|${flag.replace(/^--/, '')}`));
        if (c.exit === 0) expect(e2e).to.match(/exitCode[^\n]*\.to\.equal\(0\)/);
      });
      continue;
    }
    it(`${c.command}: exit ${c.exit}${c.output ? ', printing what the README shows' : ''}`, async function () {
      this.timeout(20_000);
      const r = await runCli(...c.command.split(/\s+/));
      expect(r.code, r.stderr).to.equal(c.exit);
      const out = `${r.stdout}\n${r.stderr}`;
      for (const line of c.output ?? []) expect(out, `README shows: ${line}`).to.include(line.trimEnd());
    });
  }

  it('shows the project\'s own install and test commands, and CI runs exactly those', () => {
    expect(devCommands).to.deep.equal(['npm ci', 'npm test']);
    const ci = readFileSync(path.join(ROOT, '.ci/run'), 'utf8').split('\n').map((l) => l.trim());
    expect(ci).to.include('npm test');
    expect(ci.some((l) => l.startsWith('npm ci'))).to.equal(true);
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.test).to.equal('node scripts/test.mjs');
  });

  it('the package the README installs ships the seed suite it copies', () => {
    const files = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(files.files).to.include('suites');
    expect(existsSync(path.join(ROOT, 'suites', 'zero-trust', 'suite.yaml'))).to.equal(true);
  });
});
