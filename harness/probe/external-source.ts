// Probing from outside the cluster: an external source (externals[].source) is a container on the
// nodes' Docker network running the same agent, so its probes are the same `nph-agent probe` command
// and output as a pod's, run with `docker exec` instead of an API-server exec. A container that is
// gone or an exec that fails is a fault (every cell of that round an error), never a verdict.
import { execaRunner, type CommandRunner } from '../cluster/command.js';
import { cellKey } from '../matrix/matrix.js';
import type { ExecResult, PodExecutor } from './exec.js';
import type { Prober, ProbeRequest, RoundOptions, RoundResults, SourcePod } from './prober.js';

/** Endpoint ids of externals start so (matrix/axes.ts externalId). */
export const isExternalSource = (src: SourcePod): boolean => src.endpoint.startsWith('external:');

/** The source an external container probes from: its container name in place of a pod. */
export function externalSourcePod(name: string, containerName: string): SourcePod {
  return { endpoint: `external:${name}`, namespace: '', pod: containerName, container: '', node: 'none (a container outside the cluster)' };
}

/** Runs a command in a container on the local engine (`docker exec`); the namespace and container arguments are unused. */
export class DockerExecutor implements PodExecutor {
  constructor(
    private readonly docker = 'docker',
    private readonly runner: CommandRunner = execaRunner,
  ) {}

  async exec(_namespace: string, container: string, _c: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    const r = await this.runner.run(this.docker, ['exec', container, ...command], { timeoutMs });
    // docker itself failed (the container is gone or stopped): a failure without the agent's exit code.
    if (r.exitCode !== 0 && /No such container|is not running|Error response from daemon/i.test(r.stderr)) {
      throw new Error(`docker exec in container ${container}: ${r.stderr.trim().split('\n')[0] ?? ''}`);
    }
    return { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  }
}

/** Sends external sources' requests to `external` (docker exec), every other request to `inner`. */
export class ExternalSourceProber implements Prober {
  constructor(
    private readonly inner: Prober,
    private readonly external: Prober,
  ) {}

  get execCount(): number {
    return this.inner.execCount + this.external.execCount;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    const outside = requests.filter((r) => isExternalSource(r.source));
    if (outside.length === 0) return this.inner.round(requests, opts);
    const inside = requests.filter((r) => !isExternalSource(r.source));
    const none: RoundResults = new Map();
    const [a, b] = await Promise.all([inside.length > 0 ? this.inner.round(inside, opts) : Promise.resolve(none), this.external.round(outside, opts)]);
    const out: RoundResults = new Map(a);
    for (const r of outside) for (const t of r.targets) {
      const k = cellKey(r.source.endpoint, t.id);
      const v = b.get(k);
      if (v) out.set(k, v);
    }
    return out;
  }
}
