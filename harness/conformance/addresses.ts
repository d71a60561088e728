// ipBlock cases written against the addresses the run observes, not an assumed layout. Calico's
// IPAM hands out blocks anywhere in its pool (192.168.86.x, .128.x, .245.x on one node pair), kind's
// node podCIDRs are low and contiguous: a case that assumed where pod IPs fall (e.g. "every pod is
// in the lower half of the pod CIDR") judged correct behaviour as a deviation. So, before a step
// applies a case's ipBlocks, its CIDRs and excepts are computed from the pods' IPs as they are then
// (after deploy, and after any pod was recreated). Pure; the session calls it (SessionOptions.beforeApply).
import { InfraError } from '../errors.js';
import { formatCidr, parseCidr, cidrContains, isCidr, type Cidr } from '../suite/cidr.js';
import { battery as casesFor, type CaseContext } from './cases.js';
import type { GeneratedBattery } from './generate.js';
import { lanePolicy } from './lanes.js';

const v4 = (ip: string): Cidr | undefined => {
  const c = parseCidr(`${ip}/32`);
  return isCidr(c) && c.family === 4 ? c : undefined;
};

/**
 * The smallest IPv4 block holding every address (in-cluster endpoints only: `external:*` is the
 * outside container). Undefined when there are none.
 */
export function coveringBlock(ips: Iterable<string>): string | undefined {
  const addrs = [...ips].map(v4).filter((c): c is Cidr => c !== undefined);
  if (addrs.length === 0) return undefined;
  let prefix = 32;
  const first = addrs[0]!.network;
  for (const a of addrs) while (prefix > 0 && first >> BigInt(32 - prefix) !== a.network >> BigInt(32 - prefix)) prefix--;
  const network = (first >> BigInt(32 - prefix)) << BigInt(32 - prefix);
  return formatCidr({ family: 4, addr: network, prefix, network });
}

/** The pods' block from the run's endpoint addresses (`ns/pod` -> IP; `external:*` left out). */
export function observedPodBlock(addresses: ReadonlyMap<string, string>): string | undefined {
  return coveringBlock([...addresses].filter(([id]) => !id.startsWith('external:')).map(([, ip]) => ip));
}

/**
 * Before step `index` applies: rewrites the policy sets it applies whose case is written against
 * pod addresses (`podAddressed`), with `podSubnet` = the block covering the pods' current IPs.
 * Returns the block used (undefined: nothing to rewrite). Throws when the block would also hold an
 * outside address (the cases could not tell pods from the outside).
 */
export function retargetStep(battery: GeneratedBattery, index: number, addresses: ReadonlyMap<string, string>): string | undefined {
  const step = battery.loaded.suite.steps[index];
  const ids = (step?.apply ?? []).filter((id) => {
    const o = battery.setOrigins.get(id);
    return o !== undefined && battery.cases.find((c) => c.id === o.caseId)?.podAddressed === true;
  });
  if (ids.length === 0) return undefined;
  const block = observedPodBlock(addresses);
  if (block === undefined) return undefined;
  const outer = parseCidr(block) as Cidr;
  const outside = [...addresses].filter(([id, ip]) => id.startsWith('external:') && v4(ip) && cidrContains(outer, v4(ip)!));
  if (outside.length > 0) throw new InfraError(`conformance: the pods' addresses span ${block}, which holds the outside container too (${outside.map(([id, ip]) => `${id} ${ip}`).join(', ')}): the ipBlock cases cannot tell them apart`);
  const ctx: CaseContext = { ...battery.context, podSubnet: block };
  const fresh = new Map(casesFor(ctx).map((c) => [c.id, c]));
  for (const id of ids) {
    const o = battery.setOrigins.get(id)!;
    const docs = battery.loaded.policies.get(id) ?? [];
    const policies = fresh.get(o.caseId)?.sets[o.local] ?? [];
    battery.loaded.policies.set(
      id,
      policies.map((p, i) => ({ ...(docs[i] ?? { setId: id, file: `<conformance battery> ${o.caseId}/${o.local}.yaml`, docIndex: i }), policy: lanePolicy(p, o.lane) })),
    );
  }
  return block;
}
