// How a probe addresses a destination: the suite's probe.via, unless the workload overrides it
// (workloads[].via: the conformance battery probes pod IPs but y/svc through its ClusterIP).
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { hostFor, targetFor, type Addresses } from '../../../harness/probe/targets.js';
import { suite } from '../cluster/helpers.js';

describe('probe/targets: addressing', () => {
  const s = suite({
    namespaces: [{ name: 'demo' }],
    workloads: [
      { name: 'a', namespace: 'demo', ports: [{ port: 80 }] },
      { name: 'svc', namespace: 'demo', ports: [{ port: 80 }, { port: 8080, servicePort: 8081 }], clusterIP: '10.96.0.254', via: 'service' },
      { name: 'direct', namespace: 'demo', ports: [{ port: 80 }], via: 'pod' },
    ],
  });
  const axes = buildAxes(s);
  const dst = (id: string) => axes.destinations.find((d) => d.id === id)!;
  const addr: Addresses = {
    serviceIP: new Map([
      ['demo/a', '10.96.10.1'],
      ['demo/svc', '10.96.0.254'],
      ['demo/direct', '10.96.10.3'],
    ]),
    podIPs: new Map([
      ['demo/a', ['192.168.1.1']],
      ['demo/svc', ['192.168.1.2']],
      ['demo/direct', ['192.168.1.3']],
    ]),
  };

  it('a workload with via: service is probed at its ClusterIP while the suite probes pod IPs', () => {
    expect(dst('demo/svc').via).to.equal('service');
    expect(hostFor(dst('demo/a'), 'pod', addr)).to.equal('192.168.1.1');
    expect(hostFor(dst('demo/svc'), 'pod', addr)).to.equal('10.96.0.254');
    const col = axes.columns.find((c) => c.key === 'demo/svc:80/TCP')!;
    expect(targetFor(col, dst('demo/svc'), 'pod', addr, 1000)).to.deep.equal({ id: 'demo/svc:80/TCP', kind: 'tcp', host: '10.96.0.254', port: 80, timeoutMs: 1000 });
  });

  it('through the Service a probe goes to the Service port (ports[].servicePort); at the pod IP to the container port', () => {
    const col = axes.columns.find((c) => c.key === 'demo/svc:8080/TCP')!;
    expect(col).to.deep.include({ port: 8080, servicePort: 8081 });
    expect(targetFor(col, dst('demo/svc'), 'pod', addr, 1000)).to.include({ host: '10.96.0.254', port: 8081 });
    const direct = { ...dst('demo/svc'), via: 'pod' as const };
    expect(targetFor(col, direct, 'service', addr, 1000)).to.include({ host: '192.168.1.2', port: 8080 });
  });

  it('a workload with via: pod is probed at its pod IP while the suite probes Services', () => {
    expect(hostFor(dst('demo/a'), 'service', addr)).to.equal('10.96.10.1');
    expect(hostFor(dst('demo/direct'), 'service', addr)).to.equal('192.168.1.3');
  });
});
