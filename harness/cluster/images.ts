// Preloading images into the cluster's nodes, so runs work offline and avoid registry rate limits.
import { silentProgress, type Progress } from './progress.js';
import type { Cluster } from './provider.js';

/**
 * Makes local Docker images available on every node (kind: `kind load docker-image`, skipping
 * images whose ID the nodes already have). Idempotent. A provider that cannot load images
 * (existing) only warns: its nodes pull from their registries as usual.
 */
export async function preloadImages(cluster: Cluster, images: string[], opts: { progress?: Progress } = {}): Promise<void> {
  const progress = opts.progress ?? silentProgress;
  const wanted = [...new Set(images.filter((i) => i.trim() !== ''))];
  if (wanted.length === 0) return;
  if (!cluster.loadImages) {
    progress.warn(`provider ${cluster.provider} cannot preload images; its nodes must pull ${wanted.join(', ')}`);
    return;
  }
  await cluster.loadImages(wanted);
}
