// Lint teams can live with: findings silenced in the suite (lint.disable), per policy file
// (policies[i].lint.disable) or by the policy's annotation; DNS findings only where pods need DNS.
import { expect } from 'chai';
import { InputError } from '../../../harness/errors.js';
import { lintPolicies, lintSuite, type Finding } from '../../../harness/policy/lint/index.js';
import { annotationDisables, annotationIssues, LINT_DISABLE_ANNOTATION, ruleIds } from '../../../harness/policy/lint/suppress.js';
import { suiteNeedsDns } from '../../../harness/policy/lint/suite-checks.js';
import { loadSuite, type LoadedSuite } from '../../../harness/suite/load.js';
import { withSuiteCopy } from '../suite-copy.js';
import { np } from './fixtures.js';

const SEED = 'suites/zero-trust/suite.yaml';
const NO_DNS = 'test/harness/policy/fixtures/lint-no-dns/suite.yaml';
const count = (f: Finding[], rule: string, file?: string): number => f.filter((x) => x.rule === rule && (file === undefined || x.file.endsWith(file))).length;

describe('policy engine: lint suppressions and DNS need', () => {
  let seed: LoadedSuite;
  beforeEach(async () => {
    seed = await loadSuite(SEED);
  });

  it('the seed reports NPH001 four times and NPH002 twice; its lint.disable entries silence 3 findings', () => {
    const r = lintSuite(seed);
    expect([count(r.findings, 'NPH001'), count(r.findings, 'NPH002'), r.suppressed]).to.deep.equal([4, 2, 3]);
  });

  it('lint.disable at the top of the suite silences a rule everywhere, counted as suppressed', () => {
    seed.suite.lint = { disable: ['NPH001'] };
    const r = lintSuite(seed);
    expect(count(r.findings, 'NPH001')).to.equal(0);
    expect(r.suppressed).to.equal(4 + 3);
    expect(count(r.findings, 'NPH002')).to.equal(2);
  });

  it('policies[i].lint.disable silences rules (by id or name) for that policy file only', () => {
    const ref = seed.suite.policies.find((p) => p.id === 'allow-dns-mistake')!;
    ref.lint = { disable: ['dns-pod-selector-only', 'NPH001'] };
    const r = lintSuite(seed);
    expect(count(r.findings, 'NPH002')).to.equal(0);
    expect(count(r.findings, 'NPH001', 'allow-dns-mistake.yaml')).to.equal(0);
    expect(count(r.findings, 'NPH001', 'default-deny.yaml')).to.equal(2);
    expect(r.suppressed).to.equal(4 + 3);
  });

  it('the annotation on a policy silences its own findings, not its neighbours in the same file', () => {
    const develop = seed.policies.get('allow-dns-mistake')!.find((p) => p.policy.metadata?.namespace === 'develop')!;
    develop.policy.metadata = { ...develop.policy.metadata, annotations: { [LINT_DISABLE_ANNOTATION]: 'NPH002, NPH001,selector-matches-nothing' } };
    const r = lintSuite(seed);
    const mistake = r.findings.filter((f) => f.file.endsWith('allow-dns-mistake.yaml'));
    expect(mistake.map((f) => f.policy)).to.deep.equal(['task-api/allow-dns-mistake', 'task-api/allow-dns-mistake']);
    expect(r.suppressed).to.equal(2 + 3);
  });

  it('rule references: ids and names; unknown ones are rejected by the suite schema', async () => {
    expect([...ruleIds(['NPH017', 'not-isolated', 'dns-going-dark', 'NPH999'])]).to.deep.equal(['NPH017', 'NPH001']);
    expect([...annotationDisables(np('a', 'p', { podSelector: {} }))]).to.deep.equal([]);
    const { Suite } = await import('../../../harness/suite/schema.js');
    const bad = Suite.safeParse({ ...seed.suite, lint: { disable: ['NPH999'] } });
    expect(bad.success).to.equal(false);
    expect(bad.error!.issues[0]!.path).to.deep.equal(['lint', 'disable', 0]);
  });

  it('one rule for rule references: the annotation accepts and rejects exactly what the suite lint.disable does', async () => {
    const { LintRuleRef } = await import('../../../harness/suite/schema.js');
    const refs = ['NPH007', 'all-ports', 'nph007', 'Nph007', 'NPH999', 'NPH07', 'ALL-PORTS', 'all_ports', 'NPH001', 'same-priority', 'NPH023', 'NPH024', ''];
    for (const ref of refs) {
      const suiteOk = LintRuleRef.safeParse(ref).success;
      const annotated = np('a', 'p', { podSelector: {} });
      annotated.policy.metadata = { ...annotated.policy.metadata, annotations: { [LINT_DISABLE_ANNOTATION]: ref } };
      expect(annotationIssues(annotated, '').length === 0, ref).to.equal(suiteOk);
    }
    expect(refs.filter((r) => LintRuleRef.safeParse(r).success)).to.deep.equal(['NPH007', 'all-ports', 'NPH001', 'same-priority', 'NPH023']);
  });

  it('an unknown or lower-case rule in the annotation is an input error naming the file, field and line (lint, and validate)', async () => {
    const message = (e: unknown): string => (e instanceof InputError ? e.issues.map((i) => `${i.file}:${i.line ?? '?'}: ${i.path}: ${i.message}`).join('\n') : String(e));
    const develop = seed.policies.get('allow-dns-mistake')!.find((p) => p.policy.metadata?.namespace === 'develop')!;
    develop.policy.metadata = { ...develop.policy.metadata, annotations: { [LINT_DISABLE_ANNOTATION]: 'NPH002, nph001,NPH999' } };
    const e = (() => {
      try {
        lintSuite(seed);
      } catch (x) {
        return x;
      }
      return undefined;
    })();
    expect(e).to.be.instanceOf(InputError);
    const issues = (e as InputError).issues;
    expect(issues.map((i) => [i.file.endsWith('allow-dns-mistake.yaml'), i.path])).to.deep.equal([
      [true, `[doc 1] metadata.annotations.${LINT_DISABLE_ANNOTATION}`],
      [true, `[doc 1] metadata.annotations.${LINT_DISABLE_ANNOTATION}`],
    ]);
    expect(issues[0]!.message).to.match(/\(found "nph001"\) \(did you mean "NPH001"\?\)$/);
    expect(issues[1]!.message).to.match(/\(found "NPH999"\)/);
    // The same message shape as the suite's own lint.disable.
    expect(issues[0]!.message).to.match(/^must be one of "NPH001", /);
    // validate reports it too (the suite would otherwise pass validate and fail lint).
    const { checkPolicies } = await import('../../../harness/suite/validate.js');
    expect(checkPolicies(seed).map((i) => i.path)).to.include(`[doc 1] metadata.annotations.${LINT_DISABLE_ANNOTATION}`);
    expect(message(e)).to.match(/allow-dns-mistake\.yaml:\d+: /);
  });

  it('a loose policy file with an unknown rule in the annotation: lint exits 2 naming the file', () => {
    const p = np('a', 'p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] });
    p.policy.metadata = { ...p.policy.metadata, annotations: { [LINT_DISABLE_ANNOTATION]: 'NPH004,nph007' } };
    expect(() => lintPolicies([p])).to.throw(InputError, new RegExp(`${p.file}: metadata\\.annotations\\.netpol-harness\\.io/lint-disable: must be one of .*\\(found "nph007"\\)`));
    p.policy.metadata.annotations = { [LINT_DISABLE_ANNOTATION]: 'NPH004, NPH007,' };
    expect(lintPolicies([p]).suppressed).to.equal(1);
    p.policy.metadata.annotations = { [LINT_DISABLE_ANNOTATION]: ' , ' };
    expect(() => lintPolicies([p])).to.throw(InputError, /lint-disable: names no rule/);
  });

  it('NPH001 only where pods need DNS: a suite with probe.dnsNames: [] and no CoreDNS says they do not', async () => {
    const noDns = await loadSuite(NO_DNS);
    expect(suiteNeedsDns(noDns)).to.equal(false);
    expect(count(lintSuite(noDns).findings, 'NPH001')).to.equal(0);
    // Omitting dnsNames adds the implicit DNS check: then the pods need DNS and go dark.
    delete noDns.suite.probe.dnsNames;
    expect(suiteNeedsDns(noDns)).to.equal(true);
    expect(count(lintSuite(noDns).findings, 'NPH001')).to.equal(1);
    // A declared CoreDNS means pods resolve names, whatever the DNS columns.
    expect(suiteNeedsDns(seed)).to.equal(true);
    seed.suite.probe.dnsNames = [];
    expect(suiteNeedsDns(seed)).to.equal(true);
  });

  it('loading a suite with an unknown rule id is an input error naming the field', async () => {
    await withSuiteCopy('test/harness/policy/fixtures/lint-no-dns', (y) => `${y}lint: { disable: [NPH01] }\n`, async (dir) => {
      const e = await loadSuite(`${dir}/suite.yaml`).then(() => undefined, (x: unknown) => x);
      expect(e).to.be.instanceOf(InputError);
      expect((e as InputError).issues[0]!.path).to.equal('lint.disable[0]');
    });
  });
});
