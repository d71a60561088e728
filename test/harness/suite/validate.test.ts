// Suite validation after loading: cross-references (references.ts) and how policy documents fit
// the suite (validate.ts). Fixture-level behaviour (files, lines, CLI) is in test/harness/cli.
import { expect } from 'chai';
import type { Issue } from '../../../harness/errors.js';
import type { NetworkPolicy, SourcedPolicy } from '../../../harness/policy/types.js';
import type { LoadedSuite } from '../../../harness/suite/load.js';
import { appliedAfterEachStep } from '../../../harness/suite/references.js';
import { Suite, type SuiteInput } from '../../../harness/suite/schema.js';
import { isError, loadValidSuite, summarize, validateLoaded, validateSuite } from '../../../harness/suite/validate.js';

type Doc = Record<string, unknown>;

const np = (name: string, namespace?: string, spec: Doc = {}): Doc => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, ...(namespace !== undefined ? { namespace } : {}) },
  spec,
});

function base(): SuiteInput {
  return {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 't' },
    namespaces: [{ name: 'app' }, { name: 'other' }],
    workloads: [
      { name: 'web', namespace: 'app', labels: { app: 'web' }, ports: [{ name: 'http', port: 8080 }] },
      { name: 'db', namespace: 'app', labels: { app: 'db' }, ports: [{ name: 'pg', port: 5432 }] },
      { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }] },
    ],
    probes: [{ name: 'attacker', namespace: 'other' }],
    externals: [{ name: 'api', ports: [{ port: 443 }] }],
    policies: [
      { id: 'deny', file: 'deny.yaml' },
      { id: 'allow', file: 'allow.yaml' },
    ],
    probe: {},
    steps: [
      { name: 'open', expect: { default: 'allow' } },
      { name: 'locked', apply: ['deny', 'allow'], expect: { default: 'deny', rules: [{ allow: 'app/db -> app/web:8080/TCP' }] } },
    ],
  };
}

const defaultPolicies = (): Record<string, Doc[]> => ({ deny: [np('deny', 'app')], allow: [np('allow', 'app')] });

function loaded(input: SuiteInput, policies: Record<string, Doc[]> = defaultPolicies()): LoadedSuite {
  const suite = Suite.parse(input);
  const map = new Map<string, SourcedPolicy[]>();
  for (const ref of suite.policies) {
    const docs = policies[ref.id] ?? [];
    map.set(
      ref.id,
      docs.map((d, docIndex) => {
        const policy = structuredClone(d) as unknown as NetworkPolicy;
        // As load.ts does: the suite entry's namespace fills a missing one.
        if (policy.metadata.namespace === undefined && ref.namespace !== undefined) policy.metadata.namespace = ref.namespace;
        return { policy, setId: ref.id, file: ref.file, docIndex };
      }),
    );
  }
  return { file: 'suite.yaml', dir: '.', suite, lineOf: () => undefined, policies: map };
}

function check(mutate: (s: SuiteInput) => void = () => {}, policies?: Record<string, Doc[]>): Issue[] {
  const s = base();
  mutate(s);
  return validateLoaded(loaded(s, policies));
}

/** The one error, with its path; warnings are ignored. */
function oneError(issues: Issue[]): Issue {
  const errs = issues.filter(isError);
  expect(errs, JSON.stringify(issues, null, 1)).to.have.length(1);
  return errs[0]!;
}

const err = (mutate: (s: SuiteInput) => void, policies?: Record<string, Doc[]>): Issue => oneError(check(mutate, policies));

describe('suite/validate', () => {
  it('the base suite is valid, without warnings', () => {
    expect(check()).to.deep.equal([]);
  });

  describe('external sources', () => {
    const withSource = (s: SuiteInput, rule: string): void => {
      s.externals!.push({ name: 'office', source: true, via: 'nodeport' });
      s.steps[1]!.expect = { default: 'deny', rules: [{ allow: rule }] };
    };
    it('an external with source: true is a row; rules name it on the left as external:<name>', () => {
      expect(check((s) => withSource(s, 'external:office -> app/web:8080/TCP'))).to.deep.equal([]);
    });
    it('an unknown external, or one that is not a source, on the left is an error naming the rule', () => {
      const unknown = err((s) => withSource(s, 'external:ofice -> app/web:8080'));
      expect(unknown.path).to.equal('steps[1].expect.rules[0].allow');
      expect(unknown.message).to.match(/^unknown external "ofice"/);
      expect(err((s) => withSource(s, 'external:api -> app/web:8080')).message).to.match(/^external "api" is not a source: set source: true on it/);
    });
    it('an external needs ports or source: true; via only on a source; no source on provider existing', () => {
      expect(err((s) => s.externals!.push({ name: 'idle' }))).to.include({ path: 'externals[1].ports' });
      expect(err((s) => s.externals!.push({ name: 'x', ports: [{ port: 80 }], via: 'service' }))).to.include({ path: 'externals[1].via' });
      expect(err((s) => ((s.cluster = { provider: 'existing' }), s.externals!.push({ name: 'office', source: true }))).message).to.include('provider existing has none');
    });
  });

  describe('cluster', () => {
    it('subnets must be valid CIDRs that do not overlap', () => {
      expect(err((s) => (s.cluster = { podSubnet: '10.0.0.0/33' }))).to.include({ path: 'cluster.podSubnet' });
      expect(err((s) => (s.cluster = { serviceSubnet: 'ten' })).message).to.include('not a valid CIDR');
      expect(err((s) => (s.cluster = { podSubnet: '10.0.0.0/8' })).message).to.include('overlaps podSubnet');
      expect(err((s) => (s.cluster = { podSubnet: '192.168.1.0/16' })).message).to.include('host bits');
    });
    it('a pinned node must exist', () => {
      expect(err((s) => (s.workloads![0]!.node = 2))).to.include({ path: 'workloads[0].node' });
      expect(err((s) => ((s.cluster = { nodes: { workers: 0 } }), (s.probes![0]!.node = 0))).message).to.include('no workers');
      expect(check((s) => ((s.cluster = { provider: 'existing' }), (s.workloads![0]!.node = 5)))).to.deep.equal([]);
    });
  });

  describe('namespaces and endpoints', () => {
    it('duplicate and system namespaces', () => {
      expect(err((s) => s.namespaces.push({ name: 'app' }))).to.include({ path: 'namespaces[2].name', message: 'duplicate namespace "app"' });
      expect(err((s) => s.namespaces.push({ name: 'kube-system' })).message).to.include('created by Kubernetes itself');
    });
    it('the metadata.name label cannot contradict the name', () => {
      expect(err((s) => (s.namespaces[0]!.labels = { 'kubernetes.io/metadata.name': 'other' })).message).to.include('always sets it to "app"');
      expect(check((s) => (s.namespaces[0]!.labels = { 'kubernetes.io/metadata.name': 'app' }))).to.deep.equal([]);
    });
    it('workloads and probes live in declared namespaces, except existing workloads', () => {
      // The expectation rule names app/web, which then does not exist either: two errors.
      const e = check((s) => (s.workloads![0]!.namespace = 'ap')).find((i) => i.path === 'workloads[0].namespace')!;
      expect(e.message).to.include('did you mean "app"');
      expect(err((s) => (s.probes![0]!.namespace = 'nowhere')).path).to.equal('probes[0].namespace');
    });
    it('names are unique per namespace across workloads and probes', () => {
      expect(err((s) => s.probes!.push({ name: 'web', namespace: 'app' }))).to.include({ path: 'probes[1].name' });
      expect(check((s) => s.probes!.push({ name: 'web', namespace: 'other' }))).to.deep.equal([]);
    });
    it('existing workloads need labels', () => {
      expect(err((s) => (s.workloads![2]!.labels = {}))).to.include({ path: 'workloads[2].labels' });
    });
    it('port names and port/protocol pairs are unique per workload and external', () => {
      expect(err((s) => s.workloads![0]!.ports!.push({ name: 'http', port: 9090 })).message).to.include('duplicate port name "http"');
      expect(err((s) => s.workloads![0]!.ports!.push({ port: 8080, protocol: 'TCP' })).path).to.equal('workloads[0].ports[1].port');
      expect(check((s) => s.workloads![0]!.ports!.push({ port: 8080, protocol: 'UDP' }))).to.deep.equal([]);
      expect(err((s) => s.externals![0]!.ports!.push({ port: 443 })).path).to.equal('externals[0].ports[1].port');
    });
    it('externals, policy ids and steps have unique names', () => {
      expect(err((s) => s.externals!.push({ name: 'api', ports: [{ port: 80 }] })).path).to.equal('externals[1].name');
      expect(err((s) => s.policies!.push({ id: 'deny', file: 'x.yaml' })).path).to.equal('policies[2].id');
      expect(err((s) => s.steps.push({ name: 'open', expect: 'simulated' })).path).to.equal('steps[2].name');
    });
    it('a policy entry namespace must be declared', () => {
      const e = err((s) => (s.policies![1]!.namespace = 'prod'), { deny: [np('deny', 'app')], allow: [np('allow')] });
      expect(e).to.include({ path: 'policies[1].namespace', file: 'suite.yaml' });
    });
    it('DNS names must be valid and distinct', () => {
      expect(err((s) => (s.probe = { dnsNames: ['web.app.svc.cluster.local', 'bad name'] })).path).to.equal('probe.dnsNames[1]');
      expect(err((s) => (s.probe = { dnsNames: [' '] })).message).to.include('must not be empty');
      expect(err((s) => (s.probe = { dnsNames: ['a.b', 'a.b'] })).message).to.include('duplicate DNS name');
      expect(check((s) => (s.probe = { dnsNames: ['kubernetes.default.svc.cluster.local.'] }))).to.deep.equal([]);
    });
  });

  describe('existing namespaces (default)', () => {
    const withDefault = (s: SuiteInput) => {
      s.namespaces.push({ name: 'default', existing: true });
      s.workloads!.push({ name: 'web', namespace: 'default', existing: true, ref: 'pod/web', source: true });
      s.policies!.push({ id: 'in-default', file: 'd.yaml', namespace: 'default' });
      s.steps[1]!.apply!.push('in-default');
    };
    const policies = { ...defaultPolicies(), 'in-default': [np('deny-web', undefined, { podSelector: {} })] };
    it('holds policies and existing workloads, and may be relabelled', () => {
      expect(check(withDefault, policies).filter(isError)).to.deep.equal([]);
      expect(check((s) => (withDefault(s), s.steps.push({ name: 'relabel', labels: [{ target: 'namespace/default', set: { x: 'y' }, remove: [] }], expect: 'simulated' })), policies).filter(isError)).to.deep.equal([]);
    });
    it('without existing: true it is refused, naming the fix', () => {
      expect(err((s) => s.namespaces.push({ name: 'default' })).message).to.include('mark it existing: true');
    });
    it('harness workloads and probes go into namespaces the harness creates; steps never create or delete an existing one', () => {
      const e1 = err((s) => (withDefault(s), s.probes!.push({ name: 'p', namespace: 'default' })), policies);
      expect(e1).to.include({ path: 'probes[1].namespace' });
      expect(e1.message).to.include('namespace "default" is existing: true');
      const del = check((s) => (withDefault(s), s.steps.push({ name: 'gone', delete: ['namespace/default'], expect: 'simulated' })), policies).filter(isError);
      expect(del.find((i) => i.path === 'steps[2].delete[0]')?.message).to.include('never creates or deletes a namespace it did not create');
      expect(check((s) => (withDefault(s), (s.namespaces[2]!.initially = 'present')), policies).filter(isError)).to.deep.include({ file: 'suite.yaml', path: 'namespaces[2].initially', message: 'an existing namespace is never created or deleted by the harness: remove initially' });
    });
  });

  describe('steps', () => {
    it('apply and remove name known policy ids', () => {
      expect(err((s) => (s.steps[1]!.apply = ['dney', 'allow'])).message).to.include('unknown policy id "dney" (did you mean "deny"?)');
      expect(err((s) => s.steps.push({ name: 'x', remove: ['nope'], expect: 'simulated' })).path).to.equal('steps[2].remove[0]');
    });
    it('remove only what is applied at that point', () => {
      const e = err((s) => (s.steps[0]!.remove = ['deny']));
      expect(e).to.include({ path: 'steps[0].remove[0]' });
      expect(e.message).to.include('not applied at this point (applied: none)');
      expect(check((s) => s.steps.push({ name: 'undo', remove: ['deny', 'allow'], expect: { default: 'allow' } }))).to.deep.equal([]);
    });
    it('the same id twice, or applied and removed together, is an error', () => {
      expect(err((s) => (s.steps[1]!.apply = ['deny', 'deny'])).message).to.include('listed twice');
      expect(err((s) => s.steps.push({ name: 'x', remove: ['deny'], apply: ['deny'], expect: 'simulated' })).message).to.include('both removed and applied');
    });
    it('re-applying an applied policy is only a warning', () => {
      const issues = check((s) => s.steps.push({ name: 'again', apply: ['deny'], expect: 'simulated' }));
      expect(issues).to.have.length(1);
      expect(issues[0]).to.include({ severity: 'warning', path: 'steps[2].apply[0]' });
    });
    it('appliedAfterEachStep removes before applying, like state.ts', () => {
      const s = Suite.parse({ ...base(), steps: [...base().steps, { name: 'swap', remove: ['allow'], apply: ['allow'], expect: 'simulated' }] });
      expect(appliedAfterEachStep(s)).to.deep.equal([[], ['deny', 'allow'], ['deny', 'allow']]);
    });
  });

  describe('label changes', () => {
    const relabel = (target: string, set: Record<string, string> = { x: 'y' }, remove: string[] = []) => (s: SuiteInput) =>
      s.steps.push({ name: 'relabel', labels: [{ target, set, remove }], expect: 'simulated' });
    it('targets a declared namespace or a workload or probe', () => {
      expect(check(relabel('namespace/app'))).to.deep.equal([]);
      expect(check(relabel('other/attacker'))).to.deep.equal([]);
      expect(err(relabel('namespace/kube-system')).message).to.include('relabels only namespaces the suite declares');
      const e = err(relabel('app/wbe'));
      expect(e).to.include({ path: 'steps[2].labels[0].target' });
      expect(e.message).to.include('did you mean "app/web"');
    });
    it('never touches existing workloads or the metadata.name label', () => {
      expect(err(relabel('kube-system/coredns')).message).to.include('existing workload');
      expect(err(relabel('namespace/app', { 'kubernetes.io/metadata.name': 'x' })).path).to.equal('steps[2].labels[0].set');
      expect(err(relabel('namespace/app', {}, ['kubernetes.io/metadata.name'])).path).to.equal('steps[2].labels[0].remove');
    });
    it('a key both set and removed is an error', () => {
      expect(err(relabel('app/web', { tier: 'a' }, ['tier'])).message).to.include('both set and removed');
    });
  });

  describe('expectation rules', () => {
    const rule = (r: { allow: string } | { deny: string }) => (s: SuiteInput) => (s.steps[1]!.expect = { default: 'deny', rules: [r] });
    it('must parse', () => {
      const e = err(rule({ allow: 'app/db => app/web' }));
      expect(e).to.include({ path: 'steps[1].expect.rules[0].allow' });
      expect(e.message).to.include('must have the form');
      expect(err(rule({ deny: '* -> app/web:99999' })).path).to.equal('steps[1].expect.rules[0].deny');
    });
    it('must name known sources, destinations, ports and DNS checks', () => {
      expect(err(rule({ allow: 'app/nope -> *' })).message).to.include('unknown source "app/nope"');
      expect(err(rule({ allow: '* -> api' })).message).to.include('unknown destination "api"');
      expect(err(rule({ allow: '* -> external:nope' })).message).to.include('unknown external "nope"');
      expect(err(rule({ allow: '* -> web:https' })).message).to.include('has no port "https"');
      expect(err(rule({ allow: '* -> dns:db.app' })).message).to.include('not one of the DNS checks');
      expect(check(rule({ allow: 'web -> db:pg' }))).to.deep.equal([]);
      expect(check(rule({ allow: 'attacker -> external:api:443/TCP' }))).to.deep.equal([]);
    });
    it('bare names must be unambiguous', () => {
      const e = err((s) => {
        s.probes!.push({ name: 'web', namespace: 'other' });
        rule({ allow: 'web -> db' })(s);
      });
      expect(e.message).to.include('"web" is ambiguous: write app/web or other/web');
    });
    it('must cover at least one probed cell', () => {
      expect(err(rule({ allow: 'app/db -> app/web:8080/UDP' })).message).to.include('no destination serves 8080/UDP (served: http=8080/TCP)');
      expect(err(rule({ allow: 'app/web -> app/web' })).message).to.include('talking to itself');
      expect(err(rule({ allow: '* -> app/*:443' })).message).to.include('matches no cell');
    });
  });

  describe('policy documents in the suite', () => {
    it('every document is validated as the API server would, with [doc N] in multi-document files', () => {
      const issues = check(undefined, { deny: [np('deny', 'app'), np('Bad_Name', 'app')], allow: [np('allow', 'app')] });
      expect(oneError(issues)).to.include({ file: 'deny.yaml', path: '[doc 1] metadata.name' });
      expect(oneError(check(undefined, { deny: [np('deny', 'app', { ingress: [{ from: [{}] }] })], allow: [np('allow', 'app')] })).path).to.equal(
        'spec.ingress[0].from[0]',
      );
    });
    it('a policy namespace must be one the suite creates', () => {
      const e = oneError(check(undefined, { deny: [np('deny', 'kube-system')], allow: [np('allow', 'app')] }));
      expect(e).to.include({ file: 'deny.yaml', path: 'metadata.namespace' });
      expect(e.message).to.include('"kube-system" is not declared');
    });
    it('a namespace from the suite entry fills documents without one; a different one is a conflict', () => {
      expect(check((s) => (s.policies![1]!.namespace = 'other'), { deny: [np('deny', 'app')], allow: [np('allow')] })).to.deep.equal([]);
      expect(err((s) => (s.policies![1]!.namespace = 'other'), { deny: [np('deny', 'app')], allow: [np('allow', 'app')] }).message).to.include('differs from');
      expect(oneError(check(undefined, { deny: [np('deny', 'app')], allow: [np('allow')] })).path).to.equal('metadata.namespace');
    });
    it('an empty policy file is an error', () => {
      expect(oneError(check(undefined, { deny: [], allow: [np('allow', 'app')] }))).to.include({ path: 'policies[0].file', file: 'suite.yaml' });
    });
    it('the same namespace/name twice in one set is an error', () => {
      const e = oneError(check(undefined, { deny: [np('p', 'app'), np('p', 'app')], allow: [np('allow', 'app')] }));
      expect(e.message).to.include('duplicate NetworkPolicy app/p');
      expect(check(undefined, { deny: [np('p', 'app'), np('p', 'other')], allow: [np('allow', 'app')] })).to.deep.equal([]);
    });
    it('the same name in two sets is an error only when a step applies both', () => {
      const both = oneError(check(undefined, { deny: [np('p', 'app')], allow: [np('p', 'app')] }));
      expect(both.message).to.include('step "locked" applies both');
      // A variant: applied after removing the first version.
      const variant = check(
        (s) => {
          s.steps[1]!.apply = ['deny'];
          s.steps.push({ name: 'swap', remove: ['deny'], apply: ['allow'], expect: 'simulated' });
        },
        { deny: [np('p', 'app')], allow: [np('p', 'app')] },
      );
      expect(variant).to.deep.equal([]);
    });
  });

  describe('files', () => {
    it('validateSuite returns load issues instead of throwing, and a summary of valid suites', async () => {
      const bad = await validateSuite('test/fixtures/invalid/yaml-tab-indentation/suite.yaml');
      expect(bad.ok).to.equal(false);
      expect(bad.loaded).to.equal(undefined);
      expect(bad.issues, 'only the first YAML syntax error of a file').to.have.length(1);
      const good = await validateSuite('test/fixtures/valid/minimal');
      expect(good.ok).to.equal(true);
      expect(summarize(good.loaded!)).to.include({ namespaces: 2, workloads: 3, existingWorkloads: 1, probes: 1, policySets: 2, policies: 2, steps: 2 });
    });
    it('loadValidSuite throws an InputError listing the errors', async () => {
      let caught: unknown;
      try {
        await loadValidSuite('test/fixtures/invalid/np-empty-peer/suite.yaml');
      } catch (e) {
        caught = e;
      }
      expect((caught as { issues: Issue[] }).issues[0]!.path).to.equal('spec.ingress[0].from[0]');
      const { loaded: l, warnings } = await loadValidSuite('test/fixtures/valid/kitchen-sink/suite.yaml');
      expect(l.suite.metadata.name).to.equal('kitchen-sink');
      expect(warnings).to.deep.equal([]);
    });
    it('issues are sorted: suite file first, then policy files, by line', async () => {
      const v = await validateSuite('test/fixtures/valid/minimal');
      const issues = validateLoaded({
        ...v.loaded!,
        lineOf: (p) => (p.startsWith('steps') ? 40 : 10),
        suite: { ...v.loaded!.suite, steps: [{ ...v.loaded!.suite.steps[0]!, remove: ['deny'] }, ...v.loaded!.suite.steps.slice(1)], namespaces: [...v.loaded!.suite.namespaces, { name: 'app', labels: {}, existing: false }] },
      });
      expect(issues.map((i) => i.path)).to.deep.equal(['namespaces[2].name', 'steps[0].remove[0]']);
    });
  });
});
