// ipBlock against Service IPs (spec §1.5 "Service VIPs", N30): the cases, the topology they need
// (y/svc, its ClusterIP pinned, probed through it), and the implementation-defined verdict both
// ways: a CNI judging the backend reads "post-DNAT", one judging the ClusterIP "pre-DNAT", neither
// "deviates"; a CNI enforcing nothing is no answer at all.
import { expect } from 'chai';
import { serviceSubnetOf, parseFocus } from '../../../harness/cli/commands/conformance.js';
import { battery } from '../../../harness/conformance/cases.js';
import { caseSees, cellInStep, generateBattery, SERVICE_SUBNET_UNKNOWN } from '../../../harness/conformance/generate.js';
import { renderConformance } from '../../../harness/conformance/render.js';
import { parseConformance } from '../../../harness/conformance/report-schema.js';
import { judge } from '../../../harness/conformance/verdict.js';
import type { ObservedClass } from '../../../harness/diff/result.js';
import { UsageError } from '../../../harness/errors.js';
import { PROFILES } from '../../../harness/policy/profiles.js';
import { expectedMatrix, simulateStep } from '../../../harness/policy/simulate.js';
import { fakeRunOf, type FakeCell } from './fake-run.js';

const CELL = { src: 'x/a', col: 'y/svc:80/TCP' };
const isCell = (c: FakeCell) => c.src === CELL.src && c.col === CELL.col;
const asSpec = (_: string, c: FakeCell): ObservedClass => (c.v === 'allow' ? 'connected' : 'timeout');
const json = (r: unknown) => JSON.parse(JSON.stringify(r)) as unknown;

describe('conformance: ipBlock against Service IPs', function () {
  this.timeout(60_000);
  const b = generateBattery({ focus: parseFocus('ipblock-service') });

  it('--focus ipblock-service selects the ClusterIP case (N30) and its control, each stating its spec ids and the marker', () => {
    expect(b.cases.map((c) => [c.id, c.spec])).to.deep.equal([
      ['ipblock-cluster-ip', ['N30']],
      ['ipblock-backend-via-service', ['N30', 'N27', 'N28']],
    ]);
    const [n30, control] = b.cases;
    expect(n30!.implementationDefined!.map((m) => [m.src, m.col, m.typical])).to.deep.equal([['x/a', 'y/svc:80/TCP', 'deny']]);
    expect(control!.implementationDefined!.map((m) => [m.src, m.col, m.typical])).to.deep.equal([['x/a', 'y/svc:80/TCP', 'allow']]);
    expect(n30!.implementationDefined![0]!.refs).to.include('https://github.com/cloudnativelabs/kube-router/issues/905');
  });

  it('the ClusterIP case egress-allows exactly y/svc\'s pinned ClusterIP/32 on port 80; the Service pins it inside serviceSubnet', () => {
    const svc = b.loaded.suite.workloads.find((w) => w.namespace === 'y' && w.name === 'svc')!;
    expect(svc).to.deep.include({ clusterIP: '10.96.0.254', via: 'service', labels: { pod: 'svc' } });
    expect(b.loaded.suite.cluster.serviceSubnet).to.equal('10.96.0.0/12');
    // The rest of the battery keeps probing pod IPs.
    expect(b.loaded.suite.probe.via).to.equal('pod');
    expect(b.loaded.suite.workloads.filter((w) => w.via !== undefined).map((w) => `${w.namespace}/${w.name}`)).to.deep.equal(['y/svc']);
    const policy = b.loaded.policies.get('ipblock-cluster-ip')![0]!.policy;
    expect(policy.spec.egress).to.deep.equal([{ to: [{ ipBlock: { cidr: '10.96.0.254/32' } }], ports: [{ port: 80, protocol: 'TCP' }] }]);
    const other = generateBattery({ focus: ['ipblock-service'], serviceSubnet: '10.43.0.0/16' });
    expect(other.loaded.suite.cluster.serviceSubnet).to.equal('10.43.0.0/16');
    expect(other.loaded.policies.get('ipblock-cluster-ip')![0]!.policy.spec.egress![0]!.to![0]!.ipBlock!.cidr).to.equal('10.43.0.254/32');
  });

  it('the marked cell\'s expectation is its typical answer, and the engine (post-DNAT, every profile that enforces) simulates it', () => {
    const addresses = new Map(b.loaded.suite.workloads.map((w, i) => [`${w.namespace}/${w.name}`, `192.168.1.${10 + i}`]));
    const want = ['deny', 'allow'];
    b.loaded.suite.steps.forEach((_, i) => {
      for (const name of ['upstream', 'calico', 'kube-router']) {
        const sim = simulateStep(b.loaded, i, { addresses, profile: PROFILES[name]!, explain: () => false });
        const exp = expectedMatrix(b.loaded, i, { addresses, profile: PROFILES[name]! }, sim);
        expect(exp.get(CELL.src, CELL.col)!.verdict, `step ${i} expected`).to.equal(want[i]);
        expect(sim.get(CELL.src, CELL.col)!.verdict, `step ${i} ${name}`).to.equal(want[i]);
      }
    });
  });

  it('only the Service cases probe y/svc; they run in lane 0 and see its cells', () => {
    const whole = generateBattery();
    const svcSteps = whole.steps.filter((m) => m.cases.some((c) => c.throughService));
    expect(svcSteps).to.have.length(4);
    for (const m of svcSteps) expect(m.cases.find((c) => c.throughService)!.lane).to.equal(0);
    for (const m of whole.steps.filter((x) => !svcSteps.includes(x))) {
      expect(cellInStep(m, 'x/a', 'y/svc:80/TCP')).to.equal(false);
      expect(cellInStep(m, 'y/svc', 'x/a:80/TCP')).to.equal(false);
    }
    expect(caseSees({ caseId: 'ipblock-cluster-ip', lane: 0, change: 'policy-create', throughService: true }, 'x/a', 'y/svc:80/TCP')).to.equal(true);
    expect(caseSees({ caseId: 'iso-ingress', lane: 0, change: 'policy-create' }, 'x/a', 'y/svc:80/TCP')).to.equal(false);
  });

  it('a CNI judging the backend (post-DNAT): both cases "implementation-defined", read as post-DNAT, the typical answer; exit is not a deviation', () => {
    const r = judge(fakeRunOf(b, asSpec), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['implementation-defined', 'implementation-defined']);
    const [n30, control] = r.cases.map((c) => c.implementationDefined![0]!);
    expect(n30).to.deep.include({ cell: 'x/a -> y/svc:80/TCP', observed: 'deny', typical: 'deny', classes: ['timeout'] });
    expect(n30!.reading).to.match(/^post-DNAT: the policy sees the backend pod IP/);
    expect(control).to.deep.include({ observed: 'allow', typical: 'allow' });
    expect(control!.reading).to.match(/^post-DNAT/);
    const row = r.features.find((f) => f.feature === 'ipblock-service')!;
    expect(row).to.deep.include({ status: 'implementation-defined', cases: { conforms: 0, deviates: 0, notTestable: 0, implementationDefined: 2 }, deviating: [] });
    expect(row.observed![0]).to.match(/^ipblock-cluster-ip: x\/a -> y\/svc:80\/TCP deny \(typical\): post-DNAT/);
    expect(r.cases.some((c) => c.status === 'deviates')).to.equal(false);
    const md = renderConformance(r);
    expect(md).to.include('| implementation-defined | 0/0/0 + 2 impl.-defined |').and.include('2 implementation-defined');
    expect(md).to.match(/`ipblock-cluster-ip` \(N30\): x\/a -> y\/svc:80\/TCP: \*\*deny\*\* \[timeout\]: post-DNAT.*\(the typical answer\)/);
    expect(md).not.to.include('DEVIATES');
  });

  it('a CNI judging the ClusterIP (pre-DNAT): read as pre-DNAT, atypical, and still never "deviates"', () => {
    const preDnat = (id: string, c: FakeCell): ObservedClass => (isCell(c) ? (id === 'ipblock-cluster-ip' ? 'connected' : 'refused') : asSpec(id, c));
    const r = judge(fakeRunOf(b, preDnat), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['implementation-defined', 'implementation-defined']);
    const [n30, control] = r.cases.map((c) => c.implementationDefined![0]!);
    expect(n30).to.deep.include({ observed: 'allow', typical: 'deny' });
    expect(n30!.reading).to.match(/^pre-DNAT: the policy sees the Service ClusterIP/);
    expect(control).to.deep.include({ observed: 'deny', typical: 'allow' });
    expect(control!.reading).to.match(/^pre-DNAT/);
    expect(r.cases.every((c) => c.deviations.length === 0)).to.equal(true);
    expect(r.features.find((f) => f.feature === 'ipblock-service')!.status).to.equal('implementation-defined');
    expect(renderConformance(r)).to.include('atypical: most implementations deny').and.not.include('DEVIATES');
    // The open cell is no time-to-enforce sample: nothing "never" enforced.
    const timed = judge(fakeRunOf(b, preDnat, { at: (_, c) => (c.v === 'deny' && !isCell(c) ? 300 : c.v === 'allow' && !isCell(c) ? 0 : undefined) }), b.cases, b.steps, { sctpTestable: false });
    expect(timed.timing.find((t) => t.change === 'policy-create')).to.deep.include({ never: 0 });
  });

  it('a CNI enforcing nothing (--cni none): the cases deviate on their ordinary cells and the marked cell is undetermined, never "pre-DNAT"', () => {
    const r = judge(fakeRunOf(b, () => 'connected'), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['deviates', 'deviates']);
    for (const c of r.cases) {
      const o = c.implementationDefined![0]!;
      expect(o.observed).to.equal('undetermined');
      expect(o.reading).to.match(/other cell\(s\) of the case deviate/).and.not.match(/pre-DNAT/);
      // The marked cell itself is not listed as a deviation.
      expect(c.deviations.some((d) => d.src === CELL.src && d.col === CELL.col)).to.equal(false);
    }
    expect(r.features.find((f) => f.feature === 'ipblock-service')!.status).to.equal('deviates');
    expect(renderConformance(r)).not.to.include('pre-DNAT');
  });

  it('a case with cells the probe could not judge is "not testable", and its marked cell undetermined', () => {
    const r = judge(fakeRunOf(b, (id, c) => (id === 'ipblock-backend-via-service' && c.col === 'y/svc:8080/TCP' ? 'error' : asSpec(id, c))), b.cases, b.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['implementation-defined', 'not testable']);
    expect(r.cases[1]!.implementationDefined![0]).to.deep.include({ observed: 'undetermined' });
    expect(r.cases[1]!.implementationDefined![0]!.reading).to.match(/could not be judged/);
  });

  it('the report with implementation-defined verdicts validates against the conformance.json schema', () => {
    const r = judge(fakeRunOf(b, asSpec), b.cases, b.steps, { sctpTestable: false });
    const parsed = parseConformance(json(r), 'conformance.json');
    expect(parsed.cases[0]!.status).to.equal('implementation-defined');
    expect(parsed.cases[0]!.implementationDefined![0]!.observed).to.equal('deny');
    const bad = json(r) as { cases: { implementationDefined: { observed: string }[] }[] };
    bad.cases[0]!.implementationDefined[0]!.observed = 'pre-DNAT';
    expect(() => parseConformance(bad, 'conformance.json')).to.throw(/cases\.0\.implementationDefined\.0\.observed|cases\[0\]\.implementationDefined\[0\]\.observed/);
  });

  it('--provider existing without --service-subnet: the Service cases are not testable, with the reason; alone they are a usage error', () => {
    expect(serviceSubnetOf({ provider: 'existing' })).to.equal(null);
    expect(serviceSubnetOf({ provider: 'kind' })).to.equal(undefined);
    expect(serviceSubnetOf({ provider: 'existing', serviceSubnet: '10.43.0.0/16' })).to.equal('10.43.0.0/16');
    const mixed = generateBattery({ focus: ['ipblock-service', 'isolation-egress'], serviceSubnet: null, externals: false });
    expect(mixed.cases.map((c) => c.id)).to.deep.equal(['iso-egress', 'iso-types-win']);
    expect(mixed.loaded.suite.workloads.some((w) => w.name === 'svc')).to.equal(false);
    expect(mixed.leftOut.map((l) => [l.case.id, l.reason])).to.deep.equal([
      ['ipblock-cluster-ip', SERVICE_SUBNET_UNKNOWN],
      ['ipblock-backend-via-service', SERVICE_SUBNET_UNKNOWN],
    ]);
    const r = judge(fakeRunOf(mixed, asSpec), mixed.cases, mixed.steps, { sctpTestable: false }, mixed.leftOut);
    const svc = r.cases.filter((c) => c.features.includes('ipblock-service'));
    expect(svc.map((c) => [c.status, c.notTestableReason])).to.deep.equal([
      ['not testable', SERVICE_SUBNET_UNKNOWN],
      ['not testable', SERVICE_SUBNET_UNKNOWN],
    ]);
    expect(r.features.find((f) => f.feature === 'ipblock-service')).to.deep.include({ status: 'not testable', note: SERVICE_SUBNET_UNKNOWN });
    expect(renderConformance(r)).to.include('--service-subnet');
    expect(() => generateBattery({ focus: ['ipblock-service'], serviceSubnet: null })).to.throw(UsageError, /Service CIDR is unknown/);
  });

  it('--service-subnet: a bad CIDR, host bits, or a range too small to pin an address in exit 2', () => {
    expect(() => serviceSubnetOf({ serviceSubnet: '10.96.0.0' })).to.throw(UsageError, /--service-subnet: "10.96.0.0" has no prefix length/);
    expect(() => serviceSubnetOf({ serviceSubnet: '10.96.0.1/12' })).to.throw(UsageError, /host bits set: write "10.96.0.0\/12"/);
    expect(() => serviceSubnetOf({ serviceSubnet: '10.96.0.0/31' })).to.throw(UsageError, /no address number 0/);
  });

  it('N31: egress ports through a Service are the backend targetPort (8080), not the Service port (8081); ordinary cases, a CNI matching the Service port deviates', () => {
    const t = generateBattery({ focus: ['service-target-port'] });
    expect(t.cases.map((c) => [c.id, c.spec, c.implementationDefined])).to.deep.equal([
      ['service-target-port', ['N31'], undefined],
      ['service-port-not-target', ['N31'], undefined],
    ]);
    const svc = t.loaded.suite.workloads.find((w) => w.name === 'svc')!;
    expect(svc.ports).to.deep.include({ port: 8080, protocol: 'TCP', servicePort: 8081 });
    const addresses = new Map(t.loaded.suite.workloads.map((w, i) => [`${w.namespace}/${w.name}`, `192.168.1.${10 + i}`]));
    ['allow', 'deny'].forEach((want, i) => {
      const sim = simulateStep(t.loaded, i, { addresses, profile: PROFILES.upstream!, explain: () => false });
      expect(expectedMatrix(t.loaded, i, { addresses, profile: PROFILES.upstream! }, sim).get('x/a', 'y/svc:8080/TCP')!.verdict, `step ${i}`).to.equal(want);
      expect(sim.get('x/a', 'y/svc:8080/TCP')!.verdict, `step ${i} engine`).to.equal(want);
    });
    const target = (c: FakeCell) => c.src === 'x/a' && c.col === 'y/svc:8080/TCP';
    expect(judge(fakeRunOf(t, asSpec), t.cases, t.steps, { sctpTestable: false }).cases.map((c) => c.status)).to.deep.equal(['conforms', 'conforms']);
    // The AWS agent's bug (pre-DNAT ports): the Service port opens, the targetPort does not.
    const servicePortCni = (_: string, c: FakeCell): ObservedClass => (target(c) ? (c.v === 'allow' ? 'timeout' : 'connected') : asSpec(_, c));
    const r = judge(fakeRunOf(t, servicePortCni), t.cases, t.steps, { sctpTestable: false });
    expect(r.cases.map((c) => c.status)).to.deep.equal(['deviates', 'deviates']);
    expect(r.features.find((f) => f.feature === 'service-target-port')!.deviating[0]).to.match(/x\/a -> y\/svc:8080\/TCP/);
  });

  it('every case stays covered: the whole battery carries both Service cases', () => {
    const all = battery({ podSubnet: '192.168.0.0/16', serviceIP: '10.96.0.254' });
    expect(all.filter((c) => c.features.includes('ipblock-service')).map((c) => c.id)).to.deep.equal(['ipblock-cluster-ip', 'ipblock-backend-via-service']);
    expect(all.filter((c) => c.features.includes('service-target-port')).map((c) => c.id)).to.deep.equal(['service-target-port', 'service-port-not-target']);
    expect(battery({ podSubnet: '192.168.0.0/16' }).some((c) => c.throughService)).to.equal(false);
  });
});
