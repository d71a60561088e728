// A fake CNI for the shrinker's tests: the engine's semantics, except that a named port means every
// number the name has on any pod (the way kube-router resolves `port: serve` for a whole rule).
import type { NetworkPolicy, NetworkPolicyPort } from '../../../../harness/policy/types.js';

function unionPorts(ports: NetworkPolicyPort[] | undefined): NetworkPolicyPort[] | undefined {
  if (!ports) return ports;
  return ports.flatMap((p) => (p.port === 'serve' && (p.protocol ?? 'TCP') === 'TCP' ? [{ protocol: 'TCP' as const, port: 80 }, { protocol: 'TCP' as const, port: 81 }] : [p]));
}

/** The policies as the fake CNI enforces them (feed to the engine to get its "observation"). */
export function asFakeCniEnforces(policies: NetworkPolicy[]): NetworkPolicy[] {
  return policies.map((p) => ({
    ...p,
    spec: {
      ...p.spec,
      ...(p.spec.ingress ? { ingress: p.spec.ingress.map((r) => ({ ...r, ...(r.ports ? { ports: unionPorts(r.ports) } : {}) })) } : {}),
    },
  }));
}
