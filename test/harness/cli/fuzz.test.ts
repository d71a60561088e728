// Fuzz (issue 25): a few hundred malformed suites, policies and results files, generated from a seed
// so any failure reproduces (NPH_FUZZ_SEED=<seed> NPH_FUZZ_CASES=<n> to explore further), through
// every cluster-free command, in-process. For each: exit 0, 1 or 2 only; no stack trace and no
// "unexpected error"; no raw control character in the output; a bounded time and memory; and on
// exit 2, a first line naming a file.
import { expect } from 'chai';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rng, streamSeed } from '../../../harness/conformance/random/prng.js';
import { runCli } from './run-cli.js';

const SEED = Number(process.env.NPH_FUZZ_SEED ?? 25);
const CASES = Number(process.env.NPH_FUZZ_CASES ?? 300);
const MAX_MS = 5000;
const MAX_HEAP_GROWTH = 256 * 1024 * 1024;

const HOSTILE_LINES = [
  '*nope',
  'a: *nope',
  'base: &a { app: web }',
  '<<: *a',
  '? [a, b]',
  ': x',
  '{',
  ']',
  'x: "unterminated',
  '\t- x',
  'port: 05432',
  'app: yes',
  '- ',
  '---',
  '%YAML 1.1',
  '...',
  'note: "\\a\\0\\e[2J"',
  `deep: ${'['.repeat(300)}${']'.repeat(300)}`,
  'data: !!binary aGk=',
  'x: !custom y',
  'n: 1e400',
  `name: ${'a'.repeat(5000)}`,
  '"\\u202e": x',
  'loop: &l [*l]',
  'kind: Suit',
  'apiVersion: networking.k8s.io/v2',
  'spec: ~',
  'metadata: []',
  '5_432: on',
  '{a: 1}: b',
  '\u0000',
  '\u0007bell: 1',
];
const HOSTILE_VALUES = ['~', '[]', '{}', '-1', '99999999999999999999', 'yes', 'NO', '0x1F', '"x\\0"', 'null', '.inf', '*a', '05432', '5_432', "''", '"\\e[31m"', '&x', '!!int x', '[*a]', '1:20'];

function mutateYaml(text: string, next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  let lines = text.split('\n');
  const at = (): number => Math.floor(next() * lines.length);
  const steps = 1 + Math.floor(next() * 3);
  for (let s = 0; s < steps; s++) {
    switch (Math.floor(next() * 8)) {
      case 0:
        lines.splice(at(), 1);
        break;
      case 1: {
        const i = at();
        lines.splice(i, 0, lines[i] ?? '');
        break;
      }
      case 2: {
        const i = at();
        const j = at();
        [lines[i], lines[j]] = [lines[j] ?? '', lines[i] ?? ''];
        break;
      }
      case 3:
        lines.splice(at(), 0, ' '.repeat(Math.floor(next() * 4) * 2) + pick(HOSTILE_LINES));
        break;
      case 4: {
        const i = at();
        lines[i] = (lines[i] ?? '').replace(/: .*$/, `: ${pick(HOSTILE_VALUES)}`);
        break;
      }
      case 5: {
        const joined = lines.join('\n');
        lines = joined.slice(0, Math.floor(next() * joined.length)).split('\n');
        break;
      }
      case 6: {
        const joined = lines.join('\n');
        const i = Math.floor(next() * joined.length);
        lines = (joined.slice(0, i) + String.fromCharCode(Math.floor(next() * 128)) + joined.slice(i + 1)).split('\n');
        break;
      }
      default: {
        const i = at();
        lines[i] = next() < 0.5 ? ` ${lines[i] ?? ''}` : (lines[i] ?? '').replace(/^ {1,3}/, '');
      }
    }
  }
  return lines.join('\n');
}

function mutateJson(text: string, next: () => number): string {
  if (next() < 0.4) return mutateYaml(text, next); // broken syntax
  const doc = JSON.parse(text) as unknown;
  // Replace a few values anywhere in the tree with values of the wrong shape.
  const wrong = [null, 0, -1, 'x', [], {}, true, '\u0007', 1e308];
  const visit = (v: unknown): unknown => {
    if (next() < 0.03) return wrong[Math.floor(next() * wrong.length)];
    if (Array.isArray(v)) {
      const out = v.map(visit);
      if (out.length > 0 && next() < 0.05) out.push(out[0]); // a duplicate entry
      return out;
    }
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).filter(() => next() > 0.02).map(([k, x]) => [k, visit(x)]));
    return v;
  };
  return JSON.stringify(visit(doc), null, 2);
}

type Command = 'validate' | 'simulate' | 'check' | 'lint-suite' | 'lint-policy' | 'explain' | 'diff';
const COMMANDS: Command[] = ['validate', 'simulate', 'check', 'lint-suite', 'lint-policy', 'explain', 'diff'];

describe('cli fuzz: malformed input through every cluster-free command', function () {
  this.timeout(MAX_MS * 3);
  let dir: string;
  const suiteText = readFileSync('test/fixtures/valid/minimal/suite.yaml', 'utf8');
  const policyText = readFileSync('test/fixtures/valid/minimal/policies/allow.yaml', 'utf8');
  const resultsText = readFileSync('test/fixtures/results/three-way.json', 'utf8');
  before(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'nph-fuzz-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (let n = 0; n < CASES; n++) {
    const command = COMMANDS[n % COMMANDS.length]!;
    it(`case ${n} (${command}, seed ${SEED})`, async () => {
      const next = rng(streamSeed(SEED, n));
      const caseDir = path.join(dir, `c${n}`);
      cpSync('test/fixtures/valid/minimal', caseDir, { recursive: true });
      const suite = path.join(caseDir, 'suite.yaml');
      const policy = path.join(caseDir, 'policies', 'allow.yaml');
      const results = path.join(caseDir, 'new.json');
      let argv: string[];
      if (command === 'diff') {
        writeFileSync(results, mutateJson(resultsText, next));
        argv = ['diff', 'test/fixtures/results/three-way.json', results];
      } else {
        // Mutate the suite or the policy file (lint-policy: always the policy file).
        if (command !== 'lint-policy' && next() < 0.5) writeFileSync(suite, mutateYaml(suiteText, next));
        else writeFileSync(policy, mutateYaml(policyText, next));
        argv =
          command === 'lint-suite' ? ['lint', suite]
          : command === 'lint-policy' ? ['lint', policy]
          : command === 'explain' ? ['explain', suite, '--from', 'app/db', '--to', 'app/web:8080']
          : [command, suite];
      }
      const heapBefore = process.memoryUsage().heapUsed;
      const started = Date.now();
      const r = await runCli(...argv);
      const ms = Date.now() - started;
      const grew = process.memoryUsage().heapUsed - heapBefore;
      const context = `seed ${SEED} case ${n}: netpol-harness ${argv.join(' ')}\nexit ${r.code}\n${r.stderr}${r.stdout.slice(0, 2000)}`;
      expect(r.code, context).to.be.oneOf([0, 1, 2]);
      expect(r.stderr + r.stdout, context).not.to.match(/^\s+at .*:\d+:\d+\)?$/m);
      expect(r.stderr, context).not.to.include('unexpected error');
      // Output is not a terminal here, so there is no colour: any control character came from the input.
      // eslint-disable-next-line no-control-regex -- looking for raw control characters
      expect(r.stderr + r.stdout, context).not.to.match(/[\u0000-\u0008\u000b-\u001f\u007f]/);
      expect(ms, context).to.be.below(MAX_MS);
      expect(grew, context).to.be.below(MAX_HEAP_GROWTH);
      if (r.code === 2) {
        // Errors go to stderr; `check` reports an invalid suite in its stdout report instead.
        const first = (r.stderr || r.stdout).split('\n')[0] ?? '';
        expect(first, context).to.match(/suite\.yaml|allow\.yaml|deny\.yaml|new\.json/);
      }
      rmSync(caseDir, { recursive: true, force: true });
    });
  }
});
