// One interface over the ways the harness gets a cluster: a kind cluster it creates (default),
// an existing cluster from a kubeconfig (pre-production rehearsal), or k3s in a container.
import type { ClusterSpec } from '../suite/schema.js';
import type { Cluster, CreateClusterOptions } from './cluster.js';

export * from './cluster.js';

/** Creates (or connects to) the cluster the spec describes. */
export async function createCluster(spec: ClusterSpec, opts: CreateClusterOptions = {}): Promise<Cluster> {
  switch (spec.provider) {
    case 'kind': {
      const { createKindCluster } = await import('./providers/kind.js');
      return createKindCluster(spec, opts);
    }
    case 'existing': {
      const { connectExistingCluster } = await import('./providers/existing.js');
      return connectExistingCluster(spec, opts);
    }
    case 'k3s': {
      // Loaded lazily: testcontainers is only needed for this provider.
      const { createK3sCluster } = await import('./providers/k3s.js');
      return createK3sCluster(spec, opts);
    }
  }
}
