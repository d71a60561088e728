// Preloading images into the cluster's nodes, so runs work offline and avoid registry rate limits.
import { CommandTimeoutError } from '../errors.js';
import { execaRunner, type CommandRunner } from './command.js';
import { silentProgress, type Progress } from './progress.js';
import type { Cluster } from './provider.js';

/** Whether an image is in the local Docker engine. */
export async function dockerImagePresent(image: string, runner: CommandRunner = execaRunner, docker = 'docker'): Promise<boolean> {
  const r = await runner.run(docker, ['image', 'inspect', '--format', '{{.Id}}', image]);
  return r.exitCode === 0;
}

/**
 * The images of a list that the local Docker engine has. No Docker CLI on this host means none
 * (an existing cluster needs none); an engine that does not answer is an error (CommandTimeoutError).
 */
export async function localImages(images: string[], runner: CommandRunner = execaRunner, docker = 'docker'): Promise<string[]> {
  const present = await Promise.all(
    images.map((i) =>
      dockerImagePresent(i, runner, docker).catch((e: unknown) => {
        if (e instanceof CommandTimeoutError) throw e;
        return false;
      }),
    ),
  );
  return images.filter((_, n) => present[n]);
}

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

/** What preloadRunImages did: images made available from the local Docker engine, and those left for the nodes to pull. */
export interface PreloadResult {
  loaded: string[];
  pulled: string[];
}

export interface PreloadRunOptions {
  progress?: Progress;
  runner?: CommandRunner;
  /** docker binary (default: $NPH_DOCKER, then `docker`). */
  docker?: string;
}

/**
 * A run's images, put on the nodes BEFORE the CNI is installed so that neither the CNI's own pods
 * nor the canary wait on a registry (air-gapped, rate-limited, or a locally built CNI under test).
 * `required` images (the agent) must be local or on the nodes already: loadImages fails otherwise.
 * `optional` ones (the CNI's, workload image overrides) are loaded when the local Docker engine has
 * them and are otherwise left to the nodes to pull. The progress output says which is which.
 */
export async function preloadRunImages(cluster: Cluster, images: { required: string[]; optional: string[] }, opts: PreloadRunOptions = {}): Promise<PreloadResult> {
  const progress = opts.progress ?? silentProgress;
  const required = unique(images.required);
  const optional = unique(images.optional).filter((i) => !required.includes(i));
  const runner = opts.runner ?? execaRunner;
  const docker = opts.docker ?? process.env.NPH_DOCKER ?? 'docker';
  const present = await Promise.all(optional.map((i) => dockerImagePresent(i, runner, docker)));
  const loaded = [...required, ...optional.filter((_, k) => present[k])];
  const pulled = optional.filter((_, k) => !present[k]);
  if (!cluster.loadImages) {
    if (loaded.length + pulled.length > 0) progress.info(`provider ${cluster.provider} cannot preload images; its nodes pull ${[...loaded, ...pulled].join(', ')}`);
    return { loaded: [], pulled: [...loaded, ...pulled] };
  }
  progress.info(`preloading ${loaded.length} image${loaded.length === 1 ? '' : 's'} from the local Docker engine: ${loaded.join(', ') || '(none)'}`);
  if (pulled.length > 0) progress.info(`not in the local Docker engine, so the nodes pull them (unless they have them already): ${pulled.join(', ')}`);
  await cluster.loadImages(loaded);
  return { loaded, pulled };
}

function unique(images: string[]): string[] {
  return [...new Set(images.filter((i) => i.trim() !== ''))];
}
