// Strict CIDR parsing and containment, as used for ipBlock and cluster subnets.
import { expect } from 'chai';
import { cidrContains, cidrsOverlap, formatCidr, isCidr, parseCidr, type Cidr } from '../../../harness/suite/cidr.js';

const c = (text: string): Cidr => {
  const r = parseCidr(text);
  if (!isCidr(r)) throw new Error(`${text}: ${r.error}`);
  return r;
};
const error = (text: string): string => {
  const r = parseCidr(text);
  if (isCidr(r)) throw new Error(`${text} parsed`);
  return r.error;
};

describe('suite/cidr', () => {
  it('parses IPv4 and IPv6 CIDRs and canonicalizes them', () => {
    expect(formatCidr(c('10.0.0.0/8'))).to.equal('10.0.0.0/8');
    expect(formatCidr(c('10.1.2.3/8'))).to.equal('10.0.0.0/8');
    expect(c('10.1.2.3/8').addr).not.to.equal(c('10.1.2.3/8').network);
    expect(formatCidr(c('0.0.0.0/0'))).to.equal('0.0.0.0/0');
    expect(formatCidr(c('2001:db8::1/64'))).to.equal('2001:db8::/64');
    expect(formatCidr(c('::/0'))).to.equal('::/0');
    expect(c('::/0').family).to.equal(6);
  });
  it('rejects what the API server rejects', () => {
    expect(error('10.0.0.0')).to.include('no prefix length');
    expect(error('10.0.0.0/33')).to.include('invalid prefix length');
    expect(error('2001:db8::/129')).to.include('0-128');
    expect(error('10.0.0.0/08')).to.include('invalid prefix length');
    expect(error('10.0.0/8')).to.include('not an IPv4 or IPv6 address');
    expect(error('010.0.0.0/8')).to.include('leading zeros');
    expect(error('256.0.0.0/8')).to.include('above 255');
    expect(error('fe80::1%eth0/64')).to.include('not an IPv4 or IPv6 address');
    expect(error('::ffff:10.0.0.1/128')).to.include('IPv4-mapped');
    expect(error('/8')).to.include('not an IPv4 or IPv6 address');
  });
  it('containment and overlap', () => {
    expect(cidrContains(c('10.0.0.0/8'), c('10.1.0.0/16'))).to.equal(true);
    expect(cidrContains(c('10.1.0.0/16'), c('10.0.0.0/8'))).to.equal(false);
    expect(cidrContains(c('10.0.0.0/8'), c('10.0.0.0/8'))).to.equal(true);
    expect(cidrContains(c('10.0.0.0/16'), c('10.1.0.0/24'))).to.equal(false);
    expect(cidrContains(c('0.0.0.0/0'), c('2001:db8::/32'))).to.equal(false);
    expect(cidrContains(c('::/0'), c('2001:db8::/32'))).to.equal(true);
    expect(cidrsOverlap(c('192.168.0.0/16'), c('10.96.0.0/12'))).to.equal(false);
    expect(cidrsOverlap(c('10.96.0.0/12'), c('10.0.0.0/8'))).to.equal(true);
  });
});
