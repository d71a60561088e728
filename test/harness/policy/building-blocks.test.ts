// The engine's building blocks: label selectors, ports with provenance, IP intervals and atoms,
// bit sets, policyTypes defaulting, equivalence classes, and open-port sets between endpoints.
import { expect } from 'chai';
import { Bitset } from '../../../harness/policy/bitset.js';
import { buildUniverse } from '../../../harness/policy/classes.js';
import { compilePolicies, effectiveTypes } from '../../../harness/policy/compile.js';
import { connections } from '../../../harness/policy/connections.js';
import { compileIpBlock, ipBlockCoverage, IpAtoms, parseCidr, parseIp } from '../../../harness/policy/ipblock.js';
import { compilePorts, PortSet } from '../../../harness/policy/ports.js';
import { calico, upstream } from '../../../harness/policy/profiles.js';
import { describeSelector, failingRequirements, selectorMatches } from '../../../harness/policy/selectors.js';
import { podEndpoint, prepare } from '../../../harness/policy/world.js';
import { catalogModel, catalogPod, np } from './fixtures.js';

describe('policy engine: building blocks', () => {
  it('selectors: matchLabels AND matchExpressions; NotIn and DoesNotExist match a missing key', () => {
    const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'NotIn' as const, values: ['db'] }, { key: 'legacy', operator: 'DoesNotExist' as const }] };
    expect(selectorMatches(sel, { app: 'web' })).to.equal(true);
    expect(selectorMatches(sel, { app: 'web', tier: 'db' })).to.equal(false);
    expect(selectorMatches(sel, { app: 'web', legacy: '' })).to.equal(false);
    expect(selectorMatches(sel, { app: 'api' })).to.equal(false);
    expect(selectorMatches({}, {})).to.equal(true);
    expect(describeSelector(sel)).to.equal('app=web,tier!=db,!legacy');
    expect(failingRequirements(sel, { app: 'api', tier: 'db' })).to.deep.equal(['app=web', 'tier!=db']);
  });

  it('policyTypes defaulting: Ingress always, Egress only with egress rules', () => {
    const t = (spec: object) => effectiveTypes({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p' }, spec });
    expect(t({})).to.deep.equal({ ingress: true, egress: false, defaulted: true });
    expect(t({ egress: [{}] })).to.deep.equal({ ingress: true, egress: true, defaulted: true });
    expect(t({ egress: [] })).to.deep.equal({ ingress: true, egress: false, defaulted: true });
    expect(t({ policyTypes: ['Egress'], ingress: [{}] })).to.deep.equal({ ingress: false, egress: true, defaulted: false });
    // Ignored rules are dropped from the compiled policy.
    const [p] = compilePolicies([np('x', 'e', { policyTypes: ['Egress'], ingress: [{}] })]).policies;
    expect(p!.ingress).to.deep.equal([]);
  });

  it('ports: protocol defaults to TCP, an empty list means everything', () => {
    expect(compilePorts(undefined)).to.deep.equal([{ kind: 'all' }]);
    expect(compilePorts([{}, { port: 'http' }, { port: 80, endPort: 90, protocol: 'UDP' }])).to.deep.equal([
      { kind: 'protocol', index: 0, protocol: 'TCP' },
      { kind: 'named', index: 1, protocol: 'TCP', name: 'http' },
      { kind: 'range', index: 2, protocol: 'UDP', lo: 80, hi: 90, endPort: 90 },
    ]);
  });

  it('PortSet: union keeps every provenance per interval, intersect keeps both sides', () => {
    const a = new PortSet().add('TCP', 80, 90, { policy: 'p1', rule: 0 }).add('TCP', 85, 100, { policy: 'p2', rule: 1 });
    expect(a.toString()).to.equal('TCP 80-100');
    expect(a.provenanceAt('TCP', 82)!.map((p) => p.policy)).to.deep.equal(['p1']);
    expect(a.provenanceAt('TCP', 87)!.map((p) => p.policy)).to.deep.equal(['p1', 'p2']);
    expect(a.provenanceAt('TCP', 95)!.map((p) => p.policy)).to.deep.equal(['p2']);
    expect(a.has('UDP', 85)).to.equal(false);
    const b = new PortSet().add('TCP', 90, 200, { policy: 'q' }).add('UDP', 53, 53, { policy: 'q' });
    const both = a.intersect(b);
    expect(both.toString()).to.equal('TCP 90-100');
    expect(both.provenanceAt('TCP', 90)!.map((p) => p.policy)).to.deep.equal(['p1', 'p2', 'q']);
    expect(PortSet.all({ policy: 'x' }).toString()).to.equal('TCP all; UDP all; SCTP all');
  });

  it('ipBlock: CIDRs are intervals per family; coverage of the pod subnet is all, none or partial', () => {
    expect(parseCidr('10.1.2.3/8')).to.deep.equal({ family: 4, lo: 0x0a000000n, hi: 0x0affffffn });
    const block = compileIpBlock({ cidr: '10.0.0.0/8', except: ['10.244.0.0/16'] })!;
    const pods = parseCidr('10.244.0.0/16')!;
    expect(ipBlockCoverage(block, pods, true)).to.equal('none');
    expect(ipBlockCoverage(block, pods, false)).to.equal('all');
    expect(ipBlockCoverage(compileIpBlock({ cidr: '10.244.0.0/17' })!, pods, true)).to.equal('partial');
    expect(ipBlockCoverage(compileIpBlock({ cidr: '0.0.0.0/0' })!, parseCidr('fd00::/64')!, true)).to.equal('none');
  });

  it('IP atoms: addresses between the same cuts share an atom', () => {
    const atoms = new IpAtoms([parseCidr('10.0.0.0/8')!, parseCidr('10.1.0.0/16')!]);
    const at = (ip: string) => atoms.atomOf(parseIp(ip)!);
    expect(at('10.0.0.1')).to.equal(at('10.0.255.1'));
    expect(at('10.1.0.1')).to.not.equal(at('10.0.0.1'));
    // Atoms may be finer than needed (10.2/16 is its own atom), never coarser.
    expect(at('10.2.0.1')).to.not.equal(at('10.1.0.1'));
    expect(at('11.0.0.1')).to.not.equal(at('10.0.0.1'));
    expect(at('::1')).to.match(/^6:/);
  });

  it('Bitset: set algebra within its size', () => {
    const a = Bitset.of(70, [0, 31, 32, 69]);
    const b = Bitset.of(70, [31, 40]);
    expect([...a.clone().or(b)]).to.deep.equal([0, 31, 32, 40, 69]);
    expect([...a.clone().and(b)]).to.deep.equal([31]);
    expect([...a.clone().andNot(b)]).to.deep.equal([0, 32, 69]);
    expect(a.clone().not().count()).to.equal(66);
    expect(Bitset.full(70).count()).to.equal(70);
    expect(new Bitset(70).isEmpty()).to.equal(true);
  });

  it('equivalence classes: replicas collapse; labels, named ports used by policies and IP atoms split', () => {
    const policy = np('x', 'p', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.1.0/30' } }], ports: [{ port: 'serve-80-tcp' }] }] });
    const model = catalogModel([policy], {
      pods: [
        { ...catalogPod('x', 'a'), id: 'x/a-1', ip: '10.0.1.10' },
        { ...catalogPod('x', 'a'), id: 'x/a-2', ip: '10.0.1.11' },
        { ...catalogPod('x', 'a'), id: 'x/a-3', ip: '10.0.1.1' },
        { ...catalogPod('x', 'a'), id: 'x/a-4', ip: '10.0.1.12', ports: [{ name: 'serve-80-tcp', port: 8080, protocol: 'TCP' }] },
        { ...catalogPod('x', 'b'), id: 'x/b-1', ip: '10.0.1.13' },
      ],
    });
    const world = prepare(model, calico);
    const u = buildUniverse(model.pods.map((p) => podEndpoint(world, p)), world.compiled);
    expect([...u.classOf]).to.deep.equal([0, 0, 1, 2, 3]);
  });

  it('connections: open ports between two pods with the rules that open them', () => {
    const model = catalogModel([
      np('x', 'in', { podSelector: { matchLabels: { pod: 'a' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 'serve-81-udp', protocol: 'UDP' }, { port: 80, endPort: 85 }] }] }),
      np('y', 'out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: {} }], ports: [{ protocol: 'UDP' }, { port: 84, endPort: 90 }] }] }),
    ]);
    const c = connections(model, 'y/b', 'x/a');
    expect(c.ingress.toString()).to.equal('TCP 80-85; UDP 81');
    expect(c.egress.toString()).to.equal('TCP 84-90; UDP all');
    expect(c.allowed.toString()).to.equal('TCP 84-85; UDP 81');
    expect(c.allowed.provenanceAt('UDP', 81)!.map((p) => `${p.policy} ${p.direction}[${p.rule}] port ${p.port}`)).to.deep.equal(['y/out egress[0] port 0', 'x/in ingress[0] port 0']);
    expect(connections(model, 'y/b', 'x/a', { ...upstream, enforces: false }).allowed.toString()).to.equal('TCP all; UDP all; SCTP all');
  });
});
