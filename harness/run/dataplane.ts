// Which Calico dataplane a run installs: `--calico-dataplane`, then NPH_CALICO_DATAPLANE (for the
// mocha suites and CI), then Calico's default, iptables. Only where the harness installs Calico.
import { CALICO_DATAPLANES, type CalicoDataplane } from '../cluster/cni/types.js';
import { UsageError } from '../errors.js';
import type { ClusterSpec } from '../suite/schema.js';

function isDataplane(v: string): v is CalicoDataplane {
  return (CALICO_DATAPLANES as readonly string[]).includes(v);
}

/**
 * The dataplane for this run, or undefined when the harness does not install Calico (another CNI,
 * or a provider whose CNI is not ours). A bad value, or the flag where it cannot apply, is a
 * UsageError (exit 2) raised before anything touches a cluster.
 */
export function calicoDataplaneFor(spec: Pick<ClusterSpec, 'provider' | 'cni'>, flag?: string, env: NodeJS.ProcessEnv = process.env): CalicoDataplane | undefined {
  const fromEnv = env.NPH_CALICO_DATAPLANE || undefined;
  const value = flag ?? fromEnv;
  if (value !== undefined && !isDataplane(value)) {
    const what = flag !== undefined ? `--calico-dataplane ${flag}` : `NPH_CALICO_DATAPLANE=${value}`;
    throw new UsageError(`${what}: unknown Calico dataplane (want ${CALICO_DATAPLANES.join(' or ')})`);
  }
  if (spec.cni !== 'calico' || spec.provider !== 'kind') {
    if (flag !== undefined) {
      throw new UsageError(`--calico-dataplane applies only when the harness installs Calico (--cni calico on --provider kind); this run uses CNI ${spec.cni} on provider ${spec.provider}`, {
        hint: spec.cni !== 'calico' ? 'add --cni calico, or drop --calico-dataplane' : 'drop --calico-dataplane: this provider brings its own CNI',
      });
    }
    return undefined; // the environment variable is global (CI); it only matters for Calico runs
  }
  return value ?? 'iptables';
}
