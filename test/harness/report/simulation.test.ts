// `simulate --output json` cells and the table's uncertain marks: structured source, destination,
// port and protocol; the hand-written expectation where a step has one; an uncertain reason where
// the verdict rests on pod IPs unknown offline.
import { expect } from 'chai';
import { calico } from '../../../harness/policy/profiles.js';
import { simulationStep } from '../../../harness/report/simulation.js';
import { loadSuite, type LoadedSuite } from '../../../harness/suite/load.js';
import { runCli } from '../cli/run-cli.js';

const FIXTURE = 'test/harness/policy/fixtures/sim/suite.yaml';

describe('simulation output', () => {
  let fixture: LoadedSuite;
  before(async () => {
    fixture = await loadSuite(FIXTURE);
  });

  it('structured cells: connections by destination, port and protocol; DNS checks by name on 53/UDP', () => {
    const s = simulationStep(fixture, 0, calico);
    const conn = s.cells.find((c) => c.source === 'other/client' && c.destination === 'app/web')!;
    expect(conn).to.include({ port: 8080, portName: 'http', protocol: 'TCP', verdict: 'allow', engineVerdict: 'allow', src: 'other/client', col: 'app/web:8080/TCP' });
    const dns = s.cells.find((c) => c.source === 'other/client' && c.destination === 'dns')!;
    expect(dns).to.include({ dnsName: 'web.app.svc.cluster.local', port: 53, protocol: 'UDP', col: 'dns:web.app.svc.cluster.local' });
    // `expect: simulated` has nothing hand-written.
    expect(s.cells.some((c) => c.expected !== undefined)).to.equal(false);
  });

  it('expected only where the step has hand-written rules, with their origin', () => {
    const s = simulationStep(fixture, 2, calico);
    const wrong = s.cells.find((c) => c.src === 'other/client' && c.col === 'app/web:8080/TCP')!;
    expect(wrong).to.include({ verdict: 'deny', expected: 'allow', expectedOrigin: 'rules[0]' });
    expect(s.cells.filter((c) => c.expected !== undefined)).to.have.length(1);
  });

  it('uncertain where an ipBlock covers part of the pod subnet, not elsewhere', () => {
    const s = simulationStep(fixture, 4, calico);
    const u = s.cells.filter((c) => c.uncertain !== undefined).map((c) => c.col);
    expect([...u].sort()).to.deep.equal(['app/db:5432/TCP', 'dns:web.app.svc.cluster.local', 'other/svc:9000/TCP', 'other/svc:9000/UDP']);
    expect(s.cells.filter((c) => c.uncertain !== undefined).every((c) => c.source === 'app/web')).to.equal(true);
    expect(s.cells.find((c) => c.col === 'other/svc:9000/TCP')!.uncertain).to.match(/^ipBlock 10\.244\.0\.0\/17 covers part of the pod subnet 10\.244\.0\.0\/16: whether it matches other\/svc depends on the pod IP \(assumed no\)$/);
    expect(simulationStep(fixture, 0, calico).cells.some((c) => c.uncertain !== undefined)).to.equal(false);
  });

  it('the table marks uncertain cells with * and explains the mark in the legend', async () => {
    const r = await runCli('simulate', FIXTURE, '--step', 'pod-cidr', '--ascii');
    expect(r.code).to.equal(0);
    expect(r.stdout).to.match(/^ {2}app\/web +# {2}X\* X\* X\* \. {2}\.\*$/m);
    expect(r.stdout).to.match(/^ {2}app\/db +X {2}# {2}X {2}X {2}X {2}\.$/m);
    expect(r.stdout).to.contain('* uncertain: depends on pod IPs known only at run time');
    expect(r.stdout).to.contain('allow 10, deny 10, uncertain 4');
    // No uncertain cell, no mark and no legend entry.
    const open = await runCli('simulate', FIXTURE, '--step', 'open', '--ascii');
    expect(open.stdout).not.to.contain('uncertain');
  });

  it('simulate --output json carries the structured cells', async () => {
    const r = await runCli('simulate', FIXTURE, '--step', 'dns', '--output', 'json');
    const out = JSON.parse(r.stdout) as { steps: { cells: Record<string, unknown>[] }[] };
    const c = out.steps[0]!.cells.find((x) => x.col === 'app/web:8080/TCP' && x.source === 'other/client')!;
    expect(c).to.include({ destination: 'app/web', port: 8080, protocol: 'TCP', verdict: 'deny', expected: 'allow' });
  });
});
