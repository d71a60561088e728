import { expect } from 'chai';
import { UsageError } from '../../../harness/errors.js';
import { mapFlow, mapSource, mapTarget, parseServiceDns, splitPort } from '../../../harness/diagnose/mapping.js';
import { pod, seedReading, service } from './fixture.js';

describe('diagnose mapping', () => {
  it('a Service DNS name -> Service port -> named targetPort -> the ready endpoints', () => {
    const r = seedReading();
    const m = mapFlow(r, 'develop/frontend', 'backend.develop.svc.cluster.local:8080');
    expect(m.source.pod).to.match(/^develop\/frontend-/);
    expect(m.source.via).to.include('deployment/frontend in develop');
    const t = m.target;
    expect(t.kind).to.equal('service');
    expect(t.dnsName).to.equal('backend.develop.svc.cluster.local');
    expect(t.service).to.include({ id: 'develop/backend', port: 8080, portName: 'http', targetPort: 'http' });
    expect(t.backends).to.have.length(1);
    expect(t.backends[0]).to.include({ pod: 'develop/backend-bbb22-y1', ready: true, port: 8080 });
    expect(t.problems).to.deep.equal([]);
  });

  it('a named targetPort resolves per backend: a pod without that port name is said plainly, not judged', () => {
    const r = seedReading();
    r.pods.push(pod('develop', 'backend-bbb22-y2', { app: 'backend' }, [{ name: 'web', containerPort: 9090 }]));
    const t = mapTarget(r, 'develop/backend:http', 'default');
    const odd = t.backends.find((b) => b.pod === 'develop/backend-bbb22-y2')!;
    expect(odd.port).to.equal(undefined);
    expect(odd.problem).to.include('targetPort "http" maps to no container port of this pod (its ports: 9090/TCP "web")');
    expect(t.problems).to.deep.equal([]); // the other backend takes the flow
  });

  it('a Service whose port maps to no container port on any pod, and one with no endpoints at all', () => {
    const r = seedReading({ services: [service('develop', 'backend', { app: 'backend' }, [{ port: 80, targetPort: 'grpc' }]), service('develop', 'ghost', { app: 'ghost' }, [{ port: 80 }])] });
    expect(mapTarget(r, 'develop/backend', 'default').problems[0]).to.equal('Service develop/backend port 80/TCP maps to no container port: targetPort "grpc" is on none of its 1 pod(s) (not a policy problem)');
    expect(mapTarget(r, 'ghost.develop', 'default').problems[0]).to.equal('Service develop/ghost has no endpoints: its selector app=ghost matches no running pod in develop (not a policy problem)');
  });

  it('pods that are not Ready are no ready endpoints', () => {
    const r = seedReading();
    r.pods = r.pods.filter((p) => !p.metadata.name!.startsWith('backend'));
    r.pods.push(pod('develop', 'backend-x', { app: 'backend' }, [{ name: 'http', containerPort: 8080 }], { ready: false }));
    const t = mapTarget(r, 'develop/backend:8080', 'default');
    expect(t.backends[0]).to.include({ ready: false, problem: 'not Ready: kube-proxy sends it no traffic' });
    expect(t.problems[0]).to.include('has no ready endpoints: 1 pod(s) match its selector, none is Ready');
  });

  it('the source resolves to a Ready pod; none Ready or unknown names are usage errors with a hint', () => {
    const r = seedReading();
    r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x1')!.status!.conditions = [{ type: 'Ready', status: 'False' }];
    expect(mapSource(r, 'develop/frontend', 'default').pod).to.equal('develop/frontend-aaa11-x2');
    expect(mapSource(r, 'deployment/frontend', 'develop').via).to.include('1 Ready of 2');
    r.pods.find((p) => p.metadata.name === 'frontend-aaa11-x2')!.status!.conditions = [];
    expect(() => mapSource(r, 'develop/frontend', 'default')).to.throw(UsageError, 'none Ready');
    expect(() => mapSource(r, 'develop/nope', 'default')).to.throw(UsageError, 'no pod or controller develop/nope has a running pod');
    expect(() => mapSource(r, 'nowhere/x', 'default')).to.throw(UsageError, 'namespace nowhere does not exist');
  });

  it('pods, ClusterIPs and addresses as targets; ports by number or name', () => {
    const r = seedReading();
    const p = mapTarget(r, 'develop/production-db-ccc33-z1:postgres', 'default');
    expect(p).to.include({ kind: 'pod', port: 5432, protocol: 'TCP' });
    const ip = r.services.find((s) => s.metadata.name === 'backend')!.spec!.clusterIP!;
    expect(mapTarget(r, `${ip}:8080`, 'default').service?.id).to.equal('develop/backend');
    expect(mapTarget(r, '192.0.2.7:443', 'default')).to.include({ kind: 'address', port: 443 });
    expect(() => mapTarget(r, 'develop/backend:9999', 'default')).to.throw(UsageError, 'has no port 9999');
    expect(() => mapTarget(r, 'nosuch.develop.svc.cluster.local', 'default')).to.throw(UsageError, 'names no Service');
  });

  it('parses ports, protocols and Service DNS names', () => {
    expect(splitPort('a.b:53/udp')).to.deep.equal({ host: 'a.b', port: 53, protocol: 'UDP' });
    expect(splitPort('develop/backend:http')).to.deep.equal({ host: 'develop/backend', portName: 'http' });
    expect(() => splitPort('x:70000')).to.throw(UsageError);
    expect(parseServiceDns('backend.develop')).to.deep.equal({ name: 'backend', namespace: 'develop' });
    expect(parseServiceDns('backend.develop.svc.cluster.local')).to.deep.equal({ name: 'backend', namespace: 'develop' });
    expect(parseServiceDns('example.com.x')).to.equal(undefined);
  });
});
