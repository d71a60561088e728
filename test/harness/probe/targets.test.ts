// How a probe addresses a destination: the suite's probe.via, unless the workload overrides it
// (workloads[].via: the conformance battery probes pod IPs but y/svc through its ClusterIP).
import { expect } from 'chai';
import { buildAxes } from '../../../harness/matrix/axes.js';
import { hostFor, routeFor, targetFor, type Addresses } from '../../../harness/probe/targets.js';
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

  describe('existing workloads through the user\'s own Service', () => {
    const e = suite({
      namespaces: [{ name: 'default', existing: true }, { name: 'x' }],
      workloads: [
        { name: 'web', namespace: 'default', existing: true, labels: { run: 'web' }, ports: [{ port: 8080 }, { port: 9090 }] },
        { name: 'db', namespace: 'default', existing: true, labels: { run: 'db' }, ports: [{ port: 5432 }] },
        { name: 'pinned', namespace: 'default', existing: true, labels: { run: 'p' }, ports: [{ port: 80 }], via: 'service' },
        { name: 'seen', namespace: 'default', existing: true, labels: { run: 's' }, ports: [{ port: 80 }], witness: true },
      ],
    });
    const ax = buildAxes(e);
    const d = (id: string) => ax.destinations.find((x) => x.id === id)!;
    const c = (key: string) => ax.columns.find((x) => x.key === key)!;
    const a: Addresses = {
      serviceIP: new Map([['default/web', '10.96.0.20'], ['default/seen', '10.96.0.22']]),
      serviceName: new Map([['default/web', 'web.default.svc.cluster.local']]),
      servicePorts: new Map([['default/web', new Map([['8080/TCP', 80]])], ['default/seen', new Map([['80/TCP', 80]])]]),
      podIPs: new Map([['default/web', ['192.168.2.1']], ['default/db', ['192.168.2.2']], ['default/pinned', ['192.168.2.3']], ['default/seen', ['192.168.2.4']]]),
    };

    it('the suite-wide via: service reaches an existing workload at its Service\'s ClusterIP and port (targetPort mapped), and says so', () => {
      expect(routeFor(c('default/web:8080/TCP'), d('default/web'), 'service', a, 1000)).to.deep.equal({
        target: { id: 'default/web:8080/TCP', kind: 'tcp', host: '10.96.0.20', port: 80, timeoutMs: 1000 },
        path: { via: 'service', address: '10.96.0.20:80' },
      });
    });

    it('via: dns uses the Service\'s DNS name; via: pod the pod IP', () => {
      expect(routeFor(c('default/web:8080/TCP'), d('default/web'), 'dns', a, 1000)).to.deep.include({ path: { via: 'dns', address: 'web.default.svc.cluster.local:80' } });
      expect(routeFor(c('default/web:8080/TCP'), d('default/web'), 'pod', a, 1000)).to.deep.include({ path: { via: 'pod', address: '192.168.2.1:8080' } });
    });

    it('a pod port no Service port targets, and a workload no Service selects, go to the pod IP with the reason', () => {
      expect(routeFor(c('default/web:9090/TCP'), d('default/web'), 'service', a, 1000)).to.deep.include({ path: { via: 'pod', address: '192.168.2.1:9090', note: 'no port of its Service targets 9090/TCP' } });
      expect(routeFor(c('default/db:5432/TCP'), d('default/db'), 'service', a, 1000)).to.deep.include({ path: { via: 'pod', address: '192.168.2.2:5432', note: 'no Service selects its pods' } });
    });

    it('an explicit via: service without a Service is a cell error, never a silent change of path; a witnessed workload is probed at its pod', () => {
      expect(routeFor(c('default/pinned:80/TCP'), d('default/pinned'), 'pod', a, 1000)).to.deep.equal({ error: 'default/pinned has via: service, but no Service with a ClusterIP selects its pods' });
      expect(routeFor(c('default/seen:80/TCP'), d('default/seen'), 'service', a, 1000)).to.deep.include({ path: { via: 'pod', address: '192.168.2.4:80' } });
    });
  });
});
