import { expect } from 'chai';
import { UsageError } from '../../../harness/errors.js';
import { calicoDataplaneFor } from '../../../harness/run/dataplane.js';

describe('run/dataplane: which Calico dataplane a run installs', () => {
  const kindCalico = { provider: 'kind', cni: 'calico' } as const;

  it('the flag, then NPH_CALICO_DATAPLANE, then iptables', () => {
    expect(calicoDataplaneFor(kindCalico, 'nftables', {})).to.equal('nftables');
    expect(calicoDataplaneFor(kindCalico, 'iptables', { NPH_CALICO_DATAPLANE: 'nftables' })).to.equal('iptables');
    expect(calicoDataplaneFor(kindCalico, undefined, { NPH_CALICO_DATAPLANE: 'nftables' })).to.equal('nftables');
    expect(calicoDataplaneFor(kindCalico, undefined, {})).to.equal('iptables');
  });

  it('a bad value is a UsageError naming where it came from', () => {
    expect(() => calicoDataplaneFor(kindCalico, 'ebpf', {})).to.throw(UsageError, '--calico-dataplane ebpf: unknown Calico dataplane (want iptables or nftables)');
    expect(() => calicoDataplaneFor(kindCalico, undefined, { NPH_CALICO_DATAPLANE: 'bpf' })).to.throw(UsageError, 'NPH_CALICO_DATAPLANE=bpf');
  });

  it('only where the harness installs Calico: the flag elsewhere is an error, the environment is ignored', () => {
    expect(() => calicoDataplaneFor({ provider: 'kind', cni: 'kube-router' }, 'nftables', {})).to.throw(UsageError, 'this run uses CNI kube-router on provider kind');
    expect(() => calicoDataplaneFor({ provider: 'existing', cni: 'calico' }, 'iptables', {})).to.throw(UsageError, '--calico-dataplane applies only when the harness installs Calico');
    expect(calicoDataplaneFor({ provider: 'kind', cni: 'kube-router' }, undefined, { NPH_CALICO_DATAPLANE: 'nftables' })).to.equal(undefined);
    expect(calicoDataplaneFor({ provider: 'k3s', cni: 'calico' }, undefined, {})).to.equal(undefined);
  });
});
