// One definition of the cluster flags: every command that creates a cluster (run, conformance)
// offers the same names, choices and help, and turns them into the same session options.
import { expect } from 'chai';
import { Command } from 'commander';
import { clusterSessionOptions } from '../../../harness/cli/cluster-options.js';
import { register as registerConformance } from '../../../harness/cli/commands/conformance.js';
import { register as registerRun } from '../../../harness/cli/commands/run.js';

const CLUSTER_FLAGS = ['--cni', '--provider', '--cluster-name', '--workers', '--keep', '--reuse', '--node-image', '--kubeconfig', '--context', '--calico-manifest', '--calico-dataplane', '--agent-image'];

function optionsOf(register: (p: Command) => void, name: string): Map<string, { description: string; choices?: readonly string[] }> {
  const program = new Command();
  register(program);
  const cmd = program.commands.find((c) => c.name() === name)!;
  return new Map(cmd.options.map((o) => [o.long!, { description: o.description, ...(o.argChoices ? { choices: o.argChoices } : {}) }]));
}

describe('cli/cluster-options', () => {
  it('run and conformance share every cluster flag: same help, same choices (conformance too can install Calico from local images)', () => {
    const run = optionsOf(registerRun, 'run');
    const conformance = optionsOf(registerConformance, 'conformance');
    for (const flag of CLUSTER_FLAGS) {
      expect(conformance.get(flag), `conformance ${flag}`).to.not.equal(undefined);
      if (flag === '--provider') continue; // the providers each command supports differ (conformance: no k3s)
      expect(conformance.get(flag), flag).to.deep.equal(run.get(flag));
    }
    expect(conformance.get('--calico-dataplane')!.choices).to.deep.equal(['iptables', 'nftables']);
    expect(conformance.get('--provider')!.choices).to.deep.equal(['kind', 'existing']);
  });

  it('maps the flags onto session options the same way for every command', () => {
    expect(clusterSessionOptions({ provider: 'kind', cni: 'calico', calicoManifest: 'm.yaml', calicoDataplane: 'nftables', clusterName: 'c', workers: 1, keep: true })).to.deep.equal({
      cluster: { cni: 'calico', provider: 'kind', name: 'c', workers: 1 },
      keep: true,
      reuse: false,
      calicoManifest: 'm.yaml',
      calicoDataplane: 'nftables',
    });
  });
});

describe('conformance: the Calico flags', () => {
  it('--calico-dataplane where the harness installs no Calico is a usage error (exit 2) before any cluster work', async () => {
    const { runCli } = await import('./run-cli.js');
    const r = await runCli('conformance', '--provider', 'existing', '--context', 'nph-h21-never', '--calico-dataplane', 'nftables');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--calico-dataplane applies only when the harness installs Calico/);
  });

  it('--calico-manifest that does not exist is a usage error naming it, before any cluster work', async () => {
    const { runCli } = await import('./run-cli.js');
    const r = await runCli('conformance', '--cni', 'calico', '--cluster-name', 'nph-h21-never', '--calico-manifest', '/nonexistent/calico.yaml', '--focus', 'port-range');
    expect(r.code).to.equal(2);
    expect(r.stderr).to.match(/--calico-manifest \/nonexistent\/calico.yaml: file not found/);
  });
});
