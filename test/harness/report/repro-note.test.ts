// The note after a run whose repro commands name a temporary kubeconfig that is gone.
import { expect } from 'chai';
import type { RunResult } from '../../../harness/diff/result.js';
import { reproKubeconfigNote, reproKubeconfigs } from '../../../harness/report/repro-note.js';

const repro = (kubeconfig: string): string => `kubectl --kubeconfig ${kubeconfig} --context kind-demo exec -n shop web-1 -c agent -- /bin/nph-agent probe --targets '[]'`;

function run(...repros: (string | undefined)[]): RunResult {
  return {
    schemaVersion: 1,
    suite: 's',
    startedAt: '2026-01-01T00:00:00.000Z',
    cluster: { provider: 'kind', name: 'demo', cni: 'calico' },
    axes: { sources: [], columns: [] },
    steps: [{ name: 'one', cells: repros.map((r, i) => ({ src: `shop/w${i}`, col: 'shop/db:5432/TCP', expected: 'deny', observed: { class: 'connected', attempts: 1, ...(r !== undefined ? { repro: r } : {}) } })) }],
  };
}

describe('report: the repro commands\' kubeconfig', () => {
  it('names the kubeconfig once when it is gone, and how to keep it', () => {
    const r = run(repro('/tmp/nph-kind-demo-x/kubeconfig'), repro('/tmp/nph-kind-demo-x/kubeconfig'), undefined);
    expect(reproKubeconfigs(r)).to.deep.equal(['/tmp/nph-kind-demo-x/kubeconfig']);
    expect(reproKubeconfigNote(r, () => false)).to.equal(
      "note: the repro commands name /tmp/nph-kind-demo-x/kubeconfig, the run's temporary kubeconfig, deleted with the cluster. Rerun with --keep to keep both (then `netpol-harness down --cluster-name demo` removes them).",
    );
  });

  it('says nothing while the file exists (--keep, or an existing cluster\'s own kubeconfig) or when no repro names one', () => {
    expect(reproKubeconfigNote(run(repro('/home/me/.kube/config')), () => true)).to.equal(undefined);
    expect(reproKubeconfigNote(run(`kubectl --context staging exec -n a b -- x`), () => false)).to.equal(undefined);
    expect(reproKubeconfigs(run(repro("'/tmp/with space/kubeconfig'")))).to.deep.equal(['/tmp/with space/kubeconfig']);
  });
});
