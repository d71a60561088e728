import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { expandExpectation } from '../../../harness/matrix/expect.js';
import { cellKey } from '../../../harness/matrix/matrix.js';
import { observationFrom, planStep, reproCommand } from '../../../harness/run/plan.js';
import { Suite } from '../../../harness/suite/schema.js';
import { pathLine } from '../../../harness/report/terminal.js';

const suite = Suite.parse({
  apiVersion: 'netpol-harness/v1',
  kind: 'Suite',
  metadata: { name: 't' },
  namespaces: [{ name: 'app' }],
  workloads: [
    { name: 'web', namespace: 'app', labels: { app: 'web' }, ports: [{ port: 80 }] },
    { name: 'db', namespace: 'app', labels: { app: 'db' }, ports: [{ port: 5432 }, { port: 53, protocol: 'UDP' }] },
    { name: 'coredns', namespace: 'kube-system', existing: true, labels: { 'k8s-app': 'kube-dns' }, ports: [{ port: 53, protocol: 'UDP' }] },
  ],
  externals: [{ name: 'ext', ports: [{ port: 443 }] }],
  probe: { dnsNames: ['web.app.svc.cluster.local'] },
  steps: [{ name: 's', expect: { default: 'deny', rules: [{ allow: 'app/web -> app/db:5432' }] } }],
});
const axes = buildAxes(suite);
const expected = expandExpectation(suite.steps[0]!.expect, axes);
const src = (name: string) => ({ endpoint: `app/${name}`, namespace: 'app', pod: `${name}-7d9f`, container: 'agent' });
const sources = new Map([['app/web', src('web')], ['app/db', src('db')]]);
const addresses = {
  serviceIP: new Map([['app/web', '10.96.0.20'], ['app/db', '10.96.0.30']]),
  podIPs: new Map([['app/web', ['192.168.1.2']], ['app/db', ['192.168.2.3']], ['kube-system/coredns', ['192.168.1.9']], ['external:ext', ['172.18.0.9']]]),
  serviceName: new Map([['app/web', 'web.app.svc.cluster.local'], ['app/db', 'db.app.svc.cluster.local']]),
};

describe('run/plan', () => {
  it('addresses workloads by Service IP, existing workloads and externals by their own IP, and carries the expectation', () => {
    const plan = planStep(axes, expected, sources, addresses, { via: 'service', timeoutMs: 1500 });
    const byKey = new Map(plan.cells.map((c) => [cellKey(c.source.endpoint, c.target.id), c]));
    expect(byKey.get(cellKey('app/web', 'app/db:5432/TCP'))).to.deep.include({ expected: 'allow' });
    expect(byKey.get(cellKey('app/web', 'app/db:5432/TCP'))!.target).to.deep.equal({ id: 'app/db:5432/TCP', kind: 'tcp', host: '10.96.0.30', port: 5432, timeoutMs: 1500 });
    expect(byKey.get(cellKey('app/web', 'app/db:53/UDP'))!.target).to.include({ kind: 'udp', host: '10.96.0.30' });
    expect(byKey.get(cellKey('app/db', 'kube-system/coredns:53/UDP'))!.target.host).to.equal('192.168.1.9');
    expect(byKey.get(cellKey('app/db', 'external:ext:443/TCP'))!.target.host).to.equal('172.18.0.9');
    expect(byKey.get(cellKey('app/db', 'dns:web.app.svc.cluster.local'))!.target).to.deep.equal({ id: 'dns:web.app.svc.cluster.local', kind: 'dns', name: 'web.app.svc.cluster.local', timeoutMs: 1500 });
    expect(byKey.has(cellKey('app/web', 'app/web:80/TCP')), 'self cells are not probed').to.equal(false);
    expect(plan.unplanned.size).to.equal(0);
  });

  it('via pod uses pod IPs and via dns uses Service names', () => {
    const pod = planStep(axes, expected, sources, addresses, { via: 'pod', timeoutMs: 1000 });
    expect(pod.cells.find((c) => c.target.id === 'app/db:5432/TCP')!.target.host).to.equal('192.168.2.3');
    const dns = planStep(axes, expected, sources, addresses, { via: 'dns', timeoutMs: 1000 });
    expect(dns.cells.find((c) => c.target.id === 'app/db:5432/TCP')!.target.host).to.equal('db.app.svc.cluster.local');
  });

  it('a cell without an address or a source pod is unplanned (reported as an error, never probed as a deny)', () => {
    const noDb = { ...addresses, serviceIP: new Map([['app/web', '10.96.0.20']]), podIPs: new Map([['app/web', ['192.168.1.2']]]) };
    const plan = planStep(axes, expected, new Map([['app/web', src('web')]]), noDb, { via: 'service', timeoutMs: 1000 });
    expect(plan.unplanned.get(cellKey('app/web', 'app/db:5432/TCP'))).to.match(/no address known for app\/db/);
    expect(plan.unplanned.get(cellKey('app/db', 'app/web:80/TCP'))).to.match(/no running pod for source app\/db/);
  });

  it('the repro command names kubeconfig and context, and quotes the JSON for a shell', () => {
    const cell = planStep(axes, expected, sources, addresses, { via: 'service', timeoutMs: 2000 }).cells[0]!;
    const cmd = reproCommand(cell, { kubeconfig: '/tmp/nph kind/kubeconfig', context: 'kind-nph' });
    expect(cmd).to.match(/^kubectl --kubeconfig '\/tmp\/nph kind\/kubeconfig' --context kind-nph exec -n app web-7d9f -c agent -- \/bin\/nph-agent probe --targets '\[/);
    const json = /--targets '(.*)'$/.exec(cmd)![1]!;
    expect(JSON.parse(json)).to.deep.equal([cell.target]);
  });

  it('maps agent classes to verdicts: errors have none', () => {
    const cell = planStep(axes, expected, sources, addresses, { via: 'service', timeoutMs: 2000 }).cells[0]!;
    expect(observationFrom(cell, { result: { class: 'connected', latencyMs: 1.234 }, attempts: 1 })).to.include({ verdict: 'allow', latencyMs: 1.2, attempts: 1 });
    expect(observationFrom(cell, { result: { class: 'timeout' }, attempts: 3 })).to.include({ verdict: 'deny', attempts: 3 });
    expect(observationFrom(cell, { result: { class: 'dns-failure' }, attempts: 1 }).verdict).to.equal('deny');
    expect(observationFrom(cell, { result: { class: 'error', detail: 'exec failed' }, attempts: 1 })).to.not.have.property('verdict');
    expect(observationFrom(cell, { result: { class: 'unsupported' }, attempts: 1 })).to.not.have.property('verdict');
  });

  it('each observation says which path its probe took; the step prints how many cells went which way', () => {
    const plan = planStep(axes, expected, sources, addresses, { via: 'service', timeoutMs: 1000 });
    const obsOf = (src: string, col: string) => observationFrom(plan.cells.find((c) => c.source.endpoint === src && c.target.id === col)!, { result: { class: 'connected' }, attempts: 1 });
    expect(obsOf('app/web', 'app/db:5432/TCP').path).to.deep.equal({ via: 'service', address: '10.96.0.30:5432' });
    expect(obsOf('app/db', 'kube-system/coredns:53/UDP').path).to.deep.equal({ via: 'pod', address: '192.168.1.9:53', note: 'no Service selects its pods' });
    expect(obsOf('app/db', 'external:ext:443/TCP').path).to.deep.equal({ via: 'external', address: '172.18.0.9:443' });
    expect(obsOf('app/db', 'dns:web.app.svc.cluster.local').path).to.equal(undefined);
    const cells = ['app/db:5432/TCP', 'app/db:53/UDP'].map((col) => ({ src: 'app/web', col, expected: 'allow' as const, observed: obsOf('app/web', col) }));
    cells.push({ src: 'app/db', col: 'kube-system/coredns:53/UDP', expected: 'allow', observed: obsOf('app/db', 'kube-system/coredns:53/UDP') });
    expect(pathLine({ name: 's', cells })).to.equal('paths: 2 through the Service ClusterIP, 1 at the pod IP (1: no Service selects its pods)');
  });
});
