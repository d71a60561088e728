// Pinned Service ClusterIPs (`workloads[].clusterIP`), Service ports that differ from the container's
// (`ports[].servicePort`) and per-workload probe addressing (`workloads[].via`): where a pinned
// address may lie, and the checks that keep a suite from asking the API server for a Service it
// would reject. Pure.
import ipaddr from 'ipaddr.js';
import { cidrContains, isCidr, parseCidr, type Cidr } from './cidr.js';
import type { Suite } from './schema.js';

type Add = (path: string, message: string, severity?: 'warning') => void;

/**
 * Size of the static lower band of a Service CIDR (KEP-3070: min(max(16, size/16), 256) addresses):
 * the dynamic allocator takes from above it first, so pinned addresses there rarely collide.
 */
export function staticBandSize(c: Cidr): bigint {
  const size = 1n << BigInt((c.family === 4 ? 32 : 128) - c.prefix);
  const band = size / 16n;
  const clamped = band < 16n ? 16n : band > 256n ? 256n : band;
  return clamped > size ? size : clamped;
}

// Offsets no pinned address takes: the network address, the `kubernetes` Service (first address),
// and kubeadm's cluster DNS (tenth).
const RESERVED = new Set([0n, 1n, 10n]);

const addressText = (c: Cidr, v: bigint): string => {
  const n = c.family === 4 ? 4 : 16;
  return ipaddr.fromByteArray(Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * (n - 1 - i))) & 0xffn))).toString();
};

/**
 * The `index`-th address (0-based) to pin in `serviceSubnet`: from the top of the static lower band
 * downwards, skipping the reserved offsets. Throws RangeError for a bad CIDR or a band too small.
 */
export function staticServiceIP(serviceSubnet: string, index = 0): string {
  const c = parseCidr(serviceSubnet);
  if (!isCidr(c)) throw new RangeError(`service subnet "${serviceSubnet}" ${c.error}`);
  const band = staticBandSize(c);
  let left = index;
  for (let off = band - 2n; off > 1n; off--) {
    if (RESERVED.has(off)) continue;
    if (left-- === 0) return addressText(c, c.network + off);
  }
  throw new RangeError(`service subnet ${serviceSubnet}: its static band has no address number ${index} to pin`);
}

function checkClusterIP(suite: Suite, w: Suite['workloads'][number], base: string, subnet: Cidr | undefined, add: Add): void {
  const ip = w.clusterIP!;
  if (w.existing) {
    add(`${base}.clusterIP`, 'is set on an existing workload: the harness deploys no Service for it (its Service is the cluster\'s); remove clusterIP');
    return;
  }
  if (w.ports.length === 0) {
    add(`${base}.clusterIP`, 'is set on a workload without ports: the harness deploys a Service only for a workload with ports; add ports or remove clusterIP');
    return;
  }
  if (!subnet) return; // cluster.serviceSubnet is reported on its own.
  const a = parseCidr(`${ip}/${ip.includes(':') ? 128 : 32}`);
  if (!isCidr(a) || !cidrContains(subnet, a)) {
    add(`${base}.clusterIP`, `"${ip}" is outside cluster.serviceSubnet "${suite.cluster.serviceSubnet}": the API server rejects a ClusterIP outside the Service CIDR; pick one in its static lower band, e.g. ${staticServiceIP(suite.cluster.serviceSubnet)}`);
    return;
  }
  const off = a.network - subnet.network;
  if (off === 0n || off === 1n) {
    add(`${base}.clusterIP`, `"${ip}" is ${off === 0n ? 'the network address of' : 'taken by the `kubernetes` Service in'} cluster.serviceSubnet "${suite.cluster.serviceSubnet}"; pick e.g. ${staticServiceIP(suite.cluster.serviceSubnet)}`);
  } else if (off >= staticBandSize(subnet)) {
    add(`${base}.clusterIP`, `"${ip}" lies above the static lower band of "${suite.cluster.serviceSubnet}" (its first ${staticBandSize(subnet)} addresses): another Service may already hold it; e.g. ${staticServiceIP(suite.cluster.serviceSubnet)} is safer`, 'warning');
  }
}

/** `ports[].servicePort` only on deployed workloads, one Service port per protocol. */
function checkServicePorts(suite: Suite, add: Add): void {
  suite.externals.forEach((e, i) =>
    e.ports.forEach((p, j) => {
      if (p.servicePort !== undefined) add(`externals[${i}].ports[${j}].servicePort`, 'is set on an external container, which has no Service: remove it');
    }),
  );
  suite.workloads.forEach((w, i) => {
    const taken = new Map<string, number>();
    w.ports.forEach((p, j) => {
      const path = `workloads[${i}].ports[${j}]`;
      if (p.servicePort !== undefined && w.existing) add(`${path}.servicePort`, 'is set on an existing workload: the harness deploys no Service for it; remove servicePort');
      const key = `${p.servicePort ?? p.port}/${p.protocol}`;
      const first = taken.get(key);
      // Same container port twice is references.ts's finding; here only clashes a servicePort makes.
      if (first !== undefined && !w.existing && (p.servicePort !== undefined || w.ports[first]!.servicePort !== undefined)) add(`${path}${p.servicePort !== undefined ? '.servicePort' : '.port'}`, `Service port ${key} is also workloads[${i}].ports[${first}]'s: one Service cannot expose a port twice; pick another servicePort`);
      else taken.set(key, j);
    });
  });
}

/** `workloads[].clusterIP` inside cluster.serviceSubnet, unique; `via: service|dns` only where the harness deploys a Service. */
export function checkServiceAddresses(suite: Suite, add: Add): void {
  checkServicePorts(suite, add);
  const s = parseCidr(suite.cluster.serviceSubnet);
  const subnet = isCidr(s) ? s : undefined;
  const seen = new Map<string, number>();
  suite.workloads.forEach((w, i) => {
    const base = `workloads[${i}]`;
    // Existing workloads go through the user's own Service (found at run time; none is a cell error).
    if (w.via !== undefined && w.via !== 'pod' && !w.existing && w.ports.length === 0) {
      add(`${base}.via`, `is "${w.via}" but the harness deploys no Service for a workload without ports: probes would fall back to its pod IP; remove via or write "pod"`);
    }
    if (w.via !== undefined && w.via !== 'pod' && w.existing && w.witness) {
      add(`${base}.via`, `is "${w.via}" but a witnessed workload is probed at the pod its witness sits in; remove via or write "pod"`);
    }
    if (w.clusterIP === undefined) return;
    const first = seen.get(w.clusterIP);
    if (first !== undefined) add(`${base}.clusterIP`, `"${w.clusterIP}" is also workloads[${first}].clusterIP: two Services cannot share a ClusterIP`);
    else seen.set(w.clusterIP, i);
    checkClusterIP(suite, w, base, subnet, add);
  });
}
