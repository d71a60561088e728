// Pinned Service ClusterIPs (workloads[].clusterIP) and per-workload probe addressing (workloads[].via):
// where a pinned address may go, and the checks that name the file and field before any cluster is touched.
import { expect } from 'chai';
import { checkReferences } from '../../../harness/suite/references.js';
import { checkServiceAddresses, staticBandSize, staticServiceIP } from '../../../harness/suite/service-ips.js';
import { parseCidr, type Cidr } from '../../../harness/suite/cidr.js';
import type { SuiteInput } from '../../../harness/suite/schema.js';
import { suite } from '../cluster/helpers.js';

const cidr = (t: string) => parseCidr(t) as Cidr;

function issuesOf(workloads: NonNullable<SuiteInput['workloads']>, serviceSubnet = '10.96.0.0/12'): { path: string; message: string; severity?: string }[] {
  const out: { path: string; message: string; severity?: string }[] = [];
  const s = suite({ cluster: { provider: 'kind', cni: 'kube-router', podSubnet: '192.168.0.0/16', serviceSubnet, nodes: { controlPlanes: 1, workers: 2 } }, workloads });
  checkServiceAddresses(s, (path, message, severity) => out.push({ path, message, ...(severity ? { severity } : {}) }));
  return out;
}
const web = (extra: Record<string, unknown>) => ({ name: 'web', namespace: 'demo', ports: [{ port: 80 }], ...extra });

describe('suite/service-ips', () => {
  it('the static lower band follows KEP-3070: min(max(16, size/16), 256) addresses', () => {
    expect(staticBandSize(cidr('10.96.0.0/12'))).to.equal(256n);
    expect(staticBandSize(cidr('10.96.0.0/24'))).to.equal(16n);
    expect(staticBandSize(cidr('10.96.0.0/20'))).to.equal(256n);
    expect(staticBandSize(cidr('10.96.0.0/22'))).to.equal(64n);
    expect(staticBandSize(cidr('fd00:10:96::/112'))).to.equal(256n);
    // Never more than the range itself.
    expect(staticBandSize(cidr('10.96.0.0/30'))).to.equal(4n);
  });

  it('pins from the top of the static band downwards, skipping the network address, `kubernetes` (.1) and cluster DNS (.10)', () => {
    expect(staticServiceIP('10.96.0.0/12')).to.equal('10.96.0.254');
    expect(staticServiceIP('10.96.0.0/12', 1)).to.equal('10.96.0.253');
    expect(staticServiceIP('10.96.0.0/24')).to.equal('10.96.0.14');
    expect(staticServiceIP('10.96.0.0/24', 4)).to.equal('10.96.0.9');
    expect(staticServiceIP('fd00:10:96::/112')).to.equal('fd00:10:96::fe');
    expect(() => staticServiceIP('10.96.0.0/24', 12)).to.throw(RangeError, /no address number 12/);
    expect(() => staticServiceIP('10.96.0.0')).to.throw(RangeError, /no prefix length/);
  });

  it('accepts a pinned ClusterIP inside serviceSubnet, and a workload addressed through its Service', () => {
    expect(issuesOf([web({ clusterIP: '10.96.0.254', via: 'service' })])).to.deep.equal([]);
    expect(issuesOf([web({ via: 'pod' }), { name: 'dns', namespace: 'kube-system', existing: true, via: 'pod' }])).to.deep.equal([]);
  });

  it('a ClusterIP outside serviceSubnet is an error naming the field and suggesting an address inside it', () => {
    const [i] = issuesOf([web({ clusterIP: '10.0.0.5' })]);
    expect(i!.path).to.equal('workloads[0].clusterIP');
    expect(i!.message).to.include('"10.0.0.5" is outside cluster.serviceSubnet "10.96.0.0/12"').and.include('e.g. 10.96.0.254');
    expect(i!.severity).to.equal(undefined);
    expect(issuesOf([web({ clusterIP: 'fd00::5' })])[0]!.message).to.include('is outside cluster.serviceSubnet');
  });

  it('the network address and the `kubernetes` Service address are errors; above the static band is a warning', () => {
    expect(issuesOf([web({ clusterIP: '10.96.0.0' })])[0]!.message).to.include('network address');
    expect(issuesOf([web({ clusterIP: '10.96.0.1' })])[0]!.message).to.include('`kubernetes` Service');
    const [w] = issuesOf([web({ clusterIP: '10.96.5.7' })]);
    expect(w).to.include({ path: 'workloads[0].clusterIP', severity: 'warning' });
    expect(w!.message).to.include('above the static lower band');
  });

  it('two workloads pinning one ClusterIP, a pin on an existing or portless workload, and via service without a Service are errors', () => {
    const dup = issuesOf([web({ clusterIP: '10.96.0.254' }), { name: 'db', namespace: 'demo', ports: [{ port: 5432 }], clusterIP: '10.96.0.254' }]);
    expect(dup.map((d) => d.path)).to.deep.equal(['workloads[1].clusterIP']);
    expect(dup[0]!.message).to.include('also workloads[0].clusterIP');
    expect(issuesOf([{ name: 'dns', namespace: 'kube-system', existing: true, ports: [{ port: 53 }], clusterIP: '10.96.0.254' }])[0]!.message).to.include('existing workload');
    expect(issuesOf([{ name: 'idle', namespace: 'demo', clusterIP: '10.96.0.254' }])[0]!.message).to.include('without ports');
    const via = issuesOf([{ name: 'idle', namespace: 'demo', via: 'service' }]);
    expect(via).to.have.length(1);
    expect(via[0]!).to.include({ path: 'workloads[0].via' });
    expect(via[0]!.message).to.include('deploys no Service');
  });

  it('ports[].servicePort: only on deployed workloads, and never two Service ports alike', () => {
    expect(issuesOf([web({ ports: [{ port: 80 }, { port: 8080, servicePort: 8081 }] })])).to.deep.equal([]);
    const clash = issuesOf([web({ ports: [{ port: 80 }, { port: 8080, servicePort: 80 }] })]);
    expect(clash.map((c) => c.path)).to.deep.equal(['workloads[0].ports[1].servicePort']);
    expect(clash[0]!.message).to.include('Service port 80/TCP is also workloads[0].ports[0]');
    // Same port number on another protocol is another Service port.
    expect(issuesOf([web({ ports: [{ port: 80 }, { port: 8080, protocol: 'UDP', servicePort: 80 }] })])).to.deep.equal([]);
    expect(issuesOf([{ name: 'dns', namespace: 'kube-system', existing: true, ports: [{ port: 53, servicePort: 5353 }] }])[0]).to.include({ path: 'workloads[0].ports[0].servicePort' });
    const out: { path: string }[] = [];
    checkServiceAddresses(suite({ externals: [{ name: 'api', ports: [{ port: 443, servicePort: 8443 }] }] }), (path) => out.push({ path }));
    expect(out).to.deep.equal([{ path: 'externals[0].ports[0].servicePort' }]);
  });

  it('suite validation runs these checks: the issue names the suite file and the field', () => {
    const s = suite({ workloads: [web({ clusterIP: '172.16.0.9' })] });
    const issues = checkReferences({ file: 'suite.yaml', dir: '.', suite: s, lineOf: () => 12, policies: new Map() });
    expect(issues).to.deep.include({ file: 'suite.yaml', path: 'workloads[0].clusterIP', line: 12, message: issues.find((i) => i.path === 'workloads[0].clusterIP')!.message });
    expect(issues.find((i) => i.path === 'workloads[0].clusterIP')!.message).to.match(/outside cluster\.serviceSubnet/);
  });
});
