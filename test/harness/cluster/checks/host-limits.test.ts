import { expect } from 'chai';
import { ARP_CAP_FILE, arpTableWarning, hostArpCap } from '../../../../harness/cluster/checks/host-limits.js';

describe('cluster/host-limits: the host ARP table shared by local cluster nodes', () => {
  it('reads the cap from /proc, and says nothing where it cannot', () => {
    expect(hostArpCap((f) => (f === ARP_CAP_FILE ? '1024\n' : ''))).to.equal(1024);
    expect(hostArpCap(() => { throw new Error('ENOENT'); })).to.equal(undefined);
    expect(hostArpCap(() => 'junk')).to.equal(undefined);
  });

  it('warns when pods x pods / nodes exceeds the cap (100 pods on 2 nodes: 5000 > 1024), not below it', () => {
    expect(arpTableWarning(100, 2, 1024)).to.match(/^100 pods on 2 node\(s\) need about 5000 ARP entries, more than the host's net\.ipv4\.neigh\.default\.gc_thresh3 = 1024/);
    expect(arpTableWarning(100, 2, 16384)).to.equal(undefined);
    expect(arpTableWarning(40, 2, 1024)).to.equal(undefined);
    expect(arpTableWarning(100, 2, undefined)).to.equal(undefined);
  });
});
