// k3s end to end: a real k3s container via @testcontainers/k3s, side-loading the agent image.
// SKIPS (with the reason) when the k3s image is not in the local Docker engine: this host cannot
// pull rancher/k3s. Not matched by the unit config; run with:
//   npx mocha --node-option import=tsx --timeout 600000 test/e2e/k3s.e2e.ts
import { expect } from 'chai';
import { k3sImage } from '../../harness/cluster/providers/k3s.js';
import { dockerImagePresent } from '../../harness/cluster/images.js';
import { createCluster } from '../../harness/cluster/provider.js';
import { createProgress } from '../../harness/cluster/progress.js';
import { execaRunner } from '../../harness/cluster/command.js';
import { ClusterSpec } from '../../harness/suite/schema.js';

describe('cluster/k3s (e2e)', function () {
  this.timeout(600_000);
  const image = k3sImage({});

  before(async function () {
    let reason: string | undefined;
    try {
      if (!(await dockerImagePresent(image, execaRunner, process.env.NPH_DOCKER ?? 'docker'))) {
        reason = `k3s image ${image} is not in the local Docker engine (docker pull/load it, or set NPH_K3S_IMAGE)`;
      }
    } catch (e) {
      reason = `no usable Docker CLI/engine: ${(e as Error).message}`;
    }
    if (reason) {
      console.log(`    SKIPPED: ${reason}`);
      this.skip();
    }
  });

  it('starts k3s, reports one Ready node, and stops it', async () => {
    const cluster = await createCluster(ClusterSpec.parse({ provider: 'k3s', nodes: { controlPlanes: 1, workers: 0 } }), { name: 'e2e', progress: createProgress() });
    try {
      const nodes = await cluster.nodes();
      expect(nodes).to.have.length(1);
    } finally {
      await cluster.destroy();
    }
  });
});
