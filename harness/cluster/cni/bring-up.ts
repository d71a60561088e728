// The CNI step of a run: put the run's images on the nodes, then install the CNI. In that order:
// the CNI's own pods (calico-node, kube-controllers) must find their images on the nodes when the
// host cannot pull them (air-gapped, rate-limited, or a locally built CNI under test).
import type { CommandRunner } from '../command.js';
import { preloadRunImages, type PreloadResult } from '../images.js';
import type { Cluster } from '../provider.js';
import { cniInstaller, installCni } from './index.js';
import { recreateStuckDns } from './stuck-dns.js';
import type { CniInstallOptions, CniName } from './types.js';

export interface CniBringUpOptions extends CniInstallOptions {
  /** The probe agent image: required on the nodes. */
  agentImage: string;
  /** Workload image overrides: loaded when local, else pulled by the nodes. */
  workloadImages?: string[];
  runner?: CommandRunner;
  docker?: string;
  /** Times the two parts (`images`, `cni`) as phases of the run (run/phases.ts). */
  timed?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/**
 * Preloads the agent image, the CNI's images (only where the harness installs the CNI: kind) and
 * workload overrides, then installs the CNI. Providers that cannot load images (existing) skip the
 * preload, as their nodes pull from their own registries.
 */
export async function preloadAndInstallCni(cluster: Cluster, cni: CniName, opts: CniBringUpOptions): Promise<{ install: Awaited<ReturnType<typeof installCni>>; images: PreloadResult }> {
  const { agentImage, workloadImages = [], runner, docker, timed, ...cniOpts } = opts;
  const time = timed ?? (<T>(_name: string, fn: () => Promise<T>): Promise<T> => fn());
  let images: PreloadResult = { loaded: [], pulled: [] };
  if (cluster.loadImages) {
    const cniImages = cluster.provider === 'kind' ? await cniInstaller(cni).images(cniOpts) : [];
    images = await time('images', () =>
      preloadRunImages(cluster, { required: [agentImage], optional: [...cniImages, ...workloadImages] }, {
        ...(cniOpts.progress ? { progress: cniOpts.progress } : {}),
        ...(runner ? { runner } : {}),
        ...(docker ? { docker } : {}),
      }),
    );
  }
  const install = await time('cni', async () => {
    const r = await installCni(cluster, cni, cniOpts);
    // Only on a cluster this run created (never someone else's), and only where a CNI was installed.
    if (cluster.createdByUs && cni !== 'none') await recreateStuckDns(cluster.client, cniOpts.progress).catch(() => []);
    return r;
  });
  return { install, images };
}
