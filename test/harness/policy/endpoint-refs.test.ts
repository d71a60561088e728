// One grammar for endpoint references: `explain --to/--from` and expectation rules parse them with
// the same parser (matrix/pattern.ts), so a reference one accepts the other accepts, and one it
// rejects the other rejects for the same reason. Explain additionally needs one cell: lists and
// wildcards, which rules allow, are refused there by name.
import { expect } from 'chai';
import { UsageError } from '../../../harness/errors.js';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { parsePattern, PatternError, unresolvedNames } from '../../../harness/matrix/pattern.js';
import { resolveSource, resolveTarget } from '../../../harness/policy/suite-query.js';
import { loadSuite, type LoadedSuite } from '../../../harness/suite/load.js';

const SEED = 'suites/zero-trust/suite.yaml';

/** Why an expectation rule `develop/frontend -> <dst>` is rejected, or undefined when it is accepted. */
function ruleProblem(loaded: LoadedSuite, dst: string): string | undefined {
  try {
    const problems = unresolvedNames(parsePattern(`develop/frontend -> ${dst}`), buildAxes(loaded.suite));
    return problems.length > 0 ? problems.join('; ') : undefined;
  } catch (e) {
    if (e instanceof PatternError) return e.message;
    throw e;
  }
}

/** Why `explain --to <dst>` is rejected, or undefined when it is accepted. */
function explainProblem(loaded: LoadedSuite, dst: string): string | undefined {
  try {
    resolveTarget(loaded, dst);
    return undefined;
  } catch (e) {
    if (e instanceof UsageError) return e.message;
    throw e;
  }
}

describe('endpoint references: one grammar for explain and expectation rules', () => {
  let loaded: LoadedSuite;
  before(async () => {
    loaded = await loadSuite(SEED);
  });

  it('accept and reject the same single-cell references, for the same reason', () => {
    const dns = 'backend.develop.svc.cluster.local';
    const table: [string, boolean][] = [
      ['dns', true],
      [`dns:${dns}`, true],
      ['dns:', false],
      ['dns:nope.example', false],
      ['develop/backend', true],
      ['backend', true],
      ['backend:8080', true],
      ['backend:http', true],
      ['backend:http/tcp', true],
      ['backend:8080/UDP', true],
      ['external:payments-api:443', true],
      ['backend:', false],
      ['backend:0', false],
      ['backend:8080/ICMP', false],
      ['backend:8080/TCP/UDP', false],
      ['Backend', false],
      ['external:Nope', false],
    ];
    for (const [ref, ok] of table) {
      const rule = ruleProblem(loaded, ref);
      const explain = explainProblem(loaded, ref);
      expect([ref, rule === undefined], 'expectation rule').to.deep.equal([ref, ok]);
      expect([ref, explain === undefined], 'explain --to').to.deep.equal([ref, ok]);
      // The grammar's own wording, not a second parser's.
      if (rule !== undefined && !/^unknown|no port|not one of/.test(rule)) expect(explain, ref).to.include(rule);
    }
    expect(explainProblem(loaded, 'dns:')).to.equal('--to "dns:": "dns:" needs a name, or use "dns" for every DNS check');
    expect(ruleProblem(loaded, 'dns:')).to.equal('"dns:" needs a name, or use "dns" for every DNS check');
    expect(explainProblem(loaded, 'dns:nope.example')).to.match(/"nope\.example" is not one of the DNS checks \(probe\.dnsNames\)/);
    expect(ruleProblem(loaded, 'dns:nope.example')).to.equal('"nope.example" is not one of the DNS checks (probe.dnsNames)');
  });

  it('dns:<name> explains that DNS check; a port-less destination every port', () => {
    expect(resolveTarget(loaded, 'dns:backend.develop.svc.cluster.local')).to.deep.equal({ kind: 'dns', name: 'backend.develop.svc.cluster.local' });
    expect(resolveTarget(loaded, 'backend')).to.deep.equal({ kind: 'all-ports', dst: 'develop/backend' });
    expect(resolveTarget(loaded, 'backend:*')).to.deep.equal({ kind: 'all-ports', dst: 'develop/backend' });
    expect(resolveTarget(loaded, 'backend:http/tcp')).to.deep.equal({ kind: 'conn', dst: 'develop/backend', port: 8080, protocol: 'TCP' });
  });

  it('explain needs one cell: wildcards and lists that rules accept are refused, naming the flag', () => {
    for (const [ref, why] of [
      ['*', /--to "\*" names every destination: name one/],
      ['develop/*', /--to "develop\/\*" names every destination in namespace develop: name one/],
      ['backend:8080,http', /name one port and at most one protocol/],
      ['backend:8080/TCP,UDP', /name one port and at most one protocol/],
    ] as const) {
      expect(ruleProblem(loaded, ref), ref).to.equal(undefined);
      expect(explainProblem(loaded, ref), ref).to.match(why);
    }
    expect(() => resolveSource(loaded, 'develop/*')).to.throw(UsageError, /--from "develop\/\*" names every source in namespace develop: name one/);
    expect(resolveSource(loaded, 'frontend')).to.equal('develop/frontend');
  });
});
