// External sources (externals[].source): the same agent probe, run in a container outside the
// cluster with docker exec; addressed at the pod IP, the Service's ClusterIP or a NodePort; a
// container that is gone is an error for every cell, never a deny.
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { DockerExecutor, ExternalSourceProber, externalSourcePod, isExternalSource } from '../../../harness/probe/external-source.js';
import { BatchProber, type Prober, type ProbeRequest, type RoundResults } from '../../../harness/probe/prober.js';
import { routeFor, type Addresses } from '../../../harness/probe/targets.js';
import { reproCommand } from '../../../harness/run/plan.js';
import { FakeRunner, suite } from '../cluster/helpers.js';

const target = { id: 'prod/web:80/TCP', kind: 'tcp' as const, host: '192.168.1.6', port: 80, timeoutMs: 1000 };
const office = externalSourcePod('office', 'nph-c-ext-office');

class Recording implements Prober {
  readonly seen: ProbeRequest[] = [];
  execCount = 0;
  round(requests: ProbeRequest[]): Promise<RoundResults> {
    this.seen.push(...requests);
    return Promise.resolve(new Map(requests.flatMap((r) => r.targets.map((t) => [`${r.source.endpoint}|${t.id}`, { id: t.id, class: 'connected' as const }]))));
  }
}

describe('probe/external-source', () => {
  it('runs the agent with docker exec and parses its lines like a pod probe', async () => {
    const runner = new FakeRunner(() => ({ stdout: `${JSON.stringify({ id: target.id, class: 'refused', detail: 'ECONNREFUSED' })}\n{"done":true}` }));
    const prober = new BatchProber(new DockerExecutor('docker', runner));
    const out = await prober.round([{ source: office, targets: [target] }]);
    expect(out.get(`external:office|${target.id}`)).to.deep.include({ class: 'refused' });
    expect(runner.lines()[0]).to.match(/^docker exec nph-c-ext-office \/bin\/nph-agent probe --parallel \d+ --targets /);
  });

  it('a container that is gone makes every cell an error naming it, never a deny', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1, stderr: 'Error response from daemon: No such container: nph-c-ext-office' }));
    const faults: string[] = [];
    const prober = new BatchProber(new DockerExecutor('docker', runner), { onFault: (f) => faults.push(f.kind) });
    const r = (await prober.round([{ source: office, targets: [target] }])).get(`external:office|${target.id}`)!;
    expect(r.class).to.equal('error');
    expect(r.detail).to.include('container nph-c-ext-office outside the cluster').and.include('No such container');
    expect(faults).to.deep.equal(['pod-gone']);
    // The agent itself failing (a non-zero exit without docker's words) is an error too.
    const agentFails = new BatchProber(new DockerExecutor('docker', new FakeRunner(() => ({ exitCode: 2, stderr: 'flag provided but not defined' }))));
    expect((await agentFails.round([{ source: office, targets: [target] }])).get(`external:office|${target.id}`)!.class).to.equal('error');
  });

  it('routes external sources to docker exec and pods to the API-server prober, in one round', async () => {
    const inner = new Recording();
    const outside = new Recording();
    const pod = { endpoint: 'prod/inside', namespace: 'prod', pod: 'inside-1', container: 'agent' };
    const out = await new ExternalSourceProber(inner, outside).round([
      { source: pod, targets: [target] },
      { source: office, targets: [target] },
    ]);
    expect(inner.seen.map((r) => r.source.endpoint)).to.deep.equal(['prod/inside']);
    expect(outside.seen.map((r) => r.source.endpoint)).to.deep.equal(['external:office']);
    expect([...out.keys()].sort()).to.deep.equal([`external:office|${target.id}`, `prod/inside|${target.id}`]);
    expect(isExternalSource(pod)).to.equal(false);
  });

  it('addresses a workload from outside at the pod IP, the ClusterIP (through the gateway) or a NodePort', () => {
    const s = suite({
      namespaces: [{ name: 'prod' }],
      workloads: [
        { name: 'web', namespace: 'prod', ports: [{ port: 80 }] },
        { name: 'db', namespace: 'prod', ports: [{ port: 5432 }], existing: true, labels: { app: 'db' } },
      ],
      externals: [{ name: 'office', source: true }],
    });
    const axes = buildAxes(s);
    const web = axes.destinations.find((d) => d.id === 'prod/web')!;
    const db = axes.destinations.find((d) => d.id === 'prod/db')!;
    const col = axes.columns.find((c) => c.key === 'prod/web:80/TCP')!;
    const dbCol = axes.columns.find((c) => c.key === 'prod/db:5432/TCP')!;
    const addr: Addresses = {
      serviceIP: new Map([['prod/web', '10.96.0.10']]),
      podIPs: new Map([['prod/web', ['192.168.1.6']], ['prod/db', ['192.168.1.7']]]),
      nodePorts: new Map([['prod/web', new Map([['80/TCP', 30080]])]]),
      gateway: { name: 'c-control-plane', ip: '172.18.0.2', routed: ['192.168.1.0/24', '10.96.0.0/12'] },
    };
    const path = (dst: typeof web, c: typeof col, via: 'pod' | 'service' | 'nodeport') => {
      const r = routeFor(c, dst, 'service', addr, 1000, via);
      return 'error' in r ? r.error : r.path;
    };
    expect(path(web, col, 'pod')).to.deep.equal({ via: 'pod', address: '192.168.1.6:80' });
    expect(path(web, col, 'service')).to.deep.equal({ via: 'service', address: '10.96.0.10:80', note: 'through node c-control-plane, source-NATed by kube-proxy' });
    expect(path(web, col, 'nodeport')).to.deep.equal({ via: 'nodeport', address: '172.18.0.2:30080', note: 'through node c-control-plane, source-NATed by kube-proxy' });
    // Never a silent change of path: what the engine judged is what is probed, or the cell is an error.
    expect(path(db, dbCol, 'nodeport')).to.match(/^no NodePort exposes prod\/db port 5432\/TCP/);
    expect(path(db, dbCol, 'service')).to.match(/^prod\/db cannot be probed through a Service ClusterIP from outside the cluster/);
    expect(axes.sources.map((x) => x.id)).to.deep.equal(['prod/web', 'external:office']);
    // An address outside the routed ranges would leave through the Docker host's default route: an error, never probed.
    expect(path(db, dbCol, 'pod')).to.deep.equal({ via: 'pod', address: '192.168.1.7:5432' });
    const offRoute = routeFor(col, web, 'service', { ...addr, podIPs: new Map([['prod/web', ['192.168.43.2']]]) }, 1000, 'pod');
    expect('error' in offRoute && offRoute.error).to.equal('192.168.43.2 (prod/web) is not in a range routed into the cluster from outside (192.168.1.0/24, 10.96.0.0/12)');
  });

  it('the repro command of an external source is a docker exec', () => {
    expect(reproCommand({ source: office, target })).to.equal(`docker exec nph-c-ext-office /bin/nph-agent probe --targets '${JSON.stringify([target])}'`);
  });
});
