// Limits of the machine that local clusters (kind, k3s in Docker) share with their host. kind nodes
// share the host kernel, whose neighbour (ARP) table is shared by every network namespace and capped at
// net.ipv4.neigh.default.gc_thresh3 (1024 by default). Each pod keeps an entry per same-node peer it
// talks to, so n pods on w nodes need about n * n / w entries; past the cap the kernel drops packets to
// new neighbours ("neighbor table overflow") and same-node probes time out exactly like a policy drop,
// which no guard can tell apart. So a run that would need more says so before it probes.
import { readFileSync } from 'node:fs';

export const ARP_CAP_FILE = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';

/** The host's ARP table cap, or undefined where it cannot be read (not Linux, no /proc). */
export function hostArpCap(read: (file: string) => string = (f) => readFileSync(f, 'utf8')): number | undefined {
  try {
    const n = Number(read(ARP_CAP_FILE).trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** A warning when `pods` pods on `nodes` nodes need more ARP entries than the host allows; else undefined. */
export function arpTableWarning(pods: number, nodes: number, cap: number | undefined): string | undefined {
  if (cap === undefined || pods < 2) return undefined;
  const need = Math.ceil((pods * pods) / Math.max(1, nodes));
  return need > cap
    ? `${pods} pods on ${nodes} node(s) need about ${need} ARP entries, more than the host's net.ipv4.neigh.default.gc_thresh3 = ${cap}: ` +
        'same-node probes will be lost ("neighbor table overflow" in dmesg) and look like drops. Raise net.ipv4.neigh.default.gc_thresh2/gc_thresh3 on the host for this size, or spread the pods over more nodes.'
    : undefined;
}
