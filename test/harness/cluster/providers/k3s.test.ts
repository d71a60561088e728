import { expect } from 'chai';
import { K3S_DEFAULT_IMAGE, k3sImage, k3sImageTarget, k3sServerArgs } from '../../../../harness/cluster/providers/k3s.js';
import { dockerImagePresent } from '../../../../harness/cluster/images.js';
import { ClusterSpec } from '../../../../harness/suite/schema.js';
import { FakeRunner } from '../helpers.js';

describe('cluster/k3s: config pieces', () => {
  it('server flags carry the suite subnets and turn off add-ons the harness does not need', () => {
    expect(k3sServerArgs(ClusterSpec.parse({ provider: 'k3s', podSubnet: '10.42.0.0/16', serviceSubnet: '10.43.0.0/16' }))).to.deep.equal([
      'server',
      '--disable=traefik',
      '--disable=servicelb',
      '--disable=metrics-server',
      '--cluster-cidr=10.42.0.0/16',
      '--service-cidr=10.43.0.0/16',
    ]);
  });

  it('side-loads image tarballs where k3s imports them at boot', () => {
    expect(k3sImageTarget('netpol-harness/agent:0.1.0')).to.equal('/var/lib/rancher/k3s/agent/images/netpol-harness_agent_0.1.0.tar');
  });

  it('picks the image from the option, the environment, then the default', () => {
    const saved = process.env.NPH_K3S_IMAGE;
    try {
      delete process.env.NPH_K3S_IMAGE;
      expect(k3sImage({})).to.equal(K3S_DEFAULT_IMAGE);
      process.env.NPH_K3S_IMAGE = 'rancher/k3s:v1.33.0-k3s1';
      expect(k3sImage({})).to.equal('rancher/k3s:v1.33.0-k3s1');
      expect(k3sImage({ k3sImage: 'x:1' })).to.equal('x:1');
    } finally {
      if (saved === undefined) delete process.env.NPH_K3S_IMAGE;
      else process.env.NPH_K3S_IMAGE = saved;
    }
  });

  it('checks the image is local before anything is started', async () => {
    const runner = new FakeRunner(() => ({ exitCode: 1 }));
    expect(await dockerImagePresent('rancher/k3s:v1', runner, 'docker')).to.equal(false);
    expect(runner.lines()).to.deep.equal(['docker image inspect --format {{.Id}} rancher/k3s:v1']);
  });
});
