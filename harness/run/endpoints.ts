// Where each endpoint is right now: the source pod a probe runs in, and the addresses (Service IP
// and name, pod IPs) the plan and the simulation use. Rebuilt from the deployment after every change
// (a step created, deleted or recreated pods; a pod was replaced), externals kept.
import type { Deployment } from '../apply/index.js';
import { AGENT_CONTAINER, type SourcePod } from '../probe/prober.js';
import type { Addresses } from '../probe/targets.js';
import type { InPlaceSetup } from './in-place.js';
import type { ClusterNetwork } from '../apply/externals.js';
import { externalSourcePod } from '../probe/external-source.js';
import type { SuiteModelOptions } from '../policy/suite-model.js';

export class RunEndpoints {
  readonly addresses: Addresses = { serviceIP: new Map(), podIPs: new Map() };
  /** First address by endpoint id (`x/a`, `external:ext`), as the simulation uses them. */
  readonly ipOf = new Map<string, string>();
  readonly sources = new Map<string, SourcePod>();
  /** Pod IPs by `namespace/pod`. */
  readonly podIPs = new Map<string, string>();

  /** Where each endpoint's first pod runs (the engine's same-node and NAT questions). */
  readonly podNodes = new Map<string, string>();
  /** With external sources: the nodes (address, pod CIDR) and the gateway they enter through. */
  network?: ClusterNetwork;

  /** An external container; a source (externals[].source) is probed from with docker exec. */
  addExternal(name: string, ip: string, source?: { containerName: string }): void {
    this.addresses.podIPs.set(`external:${name}`, [ip]);
    this.ipOf.set(`external:${name}`, ip);
    if (source) this.sources.set(`external:${name}`, externalSourcePod(name, source.containerName));
  }

  setNetwork(network: ClusterNetwork): void {
    this.network = network;
    this.addresses.gateway = { name: network.gateway.name, ip: network.gateway.ip, routed: (network.routes ?? []).map((r) => r.cidr) };
  }

  /** What the simulation needs of the cluster as it is: addresses, nodes, which node each pod is on. */
  get simulation(): SuiteModelOptions {
    return { addresses: this.ipOf, podNodes: this.podNodes, ...(this.network ? { nodes: this.network.nodes, gateway: this.network.gateway.name } : {}) };
  }

  refresh(deployment: Deployment | undefined, inPlace: InPlaceSetup | undefined): void {
    for (const m of [this.addresses.serviceIP, this.addresses.serviceName, this.addresses.servicePorts, this.addresses.nodePorts, this.addresses.podIPs, this.ipOf, this.sources, this.podNodes])
      for (const id of [...(m?.keys() ?? [])]) if (!id.startsWith('external:')) m!.delete(id);
    for (const [id, ep] of deployment?.endpoints ?? []) {
      if (ep.serviceIP) this.addresses.serviceIP.set(id, ep.serviceIP);
      if (ep.serviceName) (this.addresses.serviceName ??= new Map()).set(id, `${ep.serviceName}.${ep.namespace}.svc.cluster.local`);
      if (ep.servicePorts) (this.addresses.servicePorts ??= new Map()).set(id, ep.servicePorts);
      if (ep.nodePorts) (this.addresses.nodePorts ??= new Map()).set(id, ep.nodePorts);
      if (ep.pods[0]?.node) this.podNodes.set(id, ep.pods[0].node);
      const ips = ep.pods.map((p) => p.ip).filter((ip): ip is string => !!ip);
      this.addresses.podIPs.set(id, ips);
      if (ips[0]) this.ipOf.set(id, ips[0]);
      const first = ep.pods[0];
      if (first && ep.kind !== 'existing') this.sources.set(id, { endpoint: id, namespace: first.namespace, pod: first.name, container: first.container || AGENT_CONTAINER, ...(first.node ? { node: first.node } : {}) });
      for (const p of ep.pods) if (p.ip) this.podIPs.set(`${p.namespace}/${p.name}`, p.ip);
    }
    // Existing workloads probe from their ephemeral containers (in-place.ts).
    for (const [id, src] of inPlace?.sources ?? []) this.sources.set(id, src);
  }
}
