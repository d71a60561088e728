// `netpol-harness diagnose`: one flow (or one pod's exposure) on a live cluster: map it, explain it
// at both ends, prove it from inside the source pod, compare, and with --want propose the
// least-privilege change with its blast radius (--rehearse applies it and restores exactly).
import { Option, type Command } from 'commander';
import { createProgress } from '../../cluster/progress.js';
import { UsageError } from '../../errors.js';
import { diagnose, exitCodeOf, render, type DiagnoseOptions } from '../../diagnose/index.js';
import { PROFILES } from '../../policy/profiles.js';
import { intIn } from './run.js';

/** The flags as commander hands them: the library's options under their flag names. */
type DiagnoseFlags = Pick<DiagnoseOptions, 'kubeconfig' | 'context' | 'from' | 'to' | 'namespace' | 'want' | 'witness' | 'agentImage' | 'rehearse' | 'writeSuite'> & {
  probe: boolean;
  timeout?: number;
  cni?: string;
  attacker: boolean;
  output: 'text' | 'json';
};

export const DIAGNOSE_HELP = `
Targets (--to): <service>.<namespace>[.svc.cluster.local], <namespace>/<service>, <namespace>/<pod>,
<namespace>/deployment/<name>, or an IP; then [:<port>[/<protocol>]] (a number, or a Service or container
port name). Sources (--from): <pod>, <namespace>/<pod>, <namespace>/<name> of a Deployment, StatefulSet or
DaemonSet, or <kind>/<name> with -n.

What it changes: nothing, except an ephemeral container (nph-probe; nph-witness with --witness) in the
source pod, reused on later runs. Exposure mode with --to also creates a fresh namespace with one attacker
pod and deletes it. --rehearse applies the proposal through a rehearsal (rollback.yaml first) and restores
every policy and label exactly. A user who may only read gets the mapping and the explanation, and the list
of permissions probing needs.
`;

export function register(program: Command): void {
  program
    .command('diagnose')
    .option('--kubeconfig <file>', 'kubeconfig (only read)')
    .option('--context <name>', 'kube context (default: the current one)')
    .option('-f, --from <source>', 'source pod, <ns>/<pod> or <ns>/<controller> (alone: what it reaches)')
    .option('-t, --to <target>', 'target: Service DNS name, <ns>/<svc>, <ns>/<pod> or IP, [:port[/proto]] (alone: who reaches it)')
    .option('-n, --namespace <ns>', 'namespace for names without one', 'default')
    .addOption(new Option('--want <verdict>', 'what the flow should be: propose the least-privilege change when it is not').choices(['allow', 'deny']))
    .option('--no-probe', 'map and explain only: no ephemeral container, no exec')
    .option('--witness', 'also confirm arrival at each backend pod (nph-witness ephemeral container, CAP_NET_RAW)')
    .option('--timeout <ms>', 'per-probe timeout inside the pod', intIn('--timeout', 100, 60_000), 2000)
    .option('--agent-image <image>', 'image of the probe container (default: the bundled netpol-harness/agent)')
    .addOption(new Option('--cni <profile>', 'CNI profile for the engine (default: guessed from kube-system)').choices(Object.keys(PROFILES)))
    .option('--rehearse', 'apply the proposal, re-probe the flow and its blast radius, restore exactly (needs --want)')
    .option('--write-suite <dir>', 'write the flow, its namespaces\' policies and the proposal as a suite for CI')
    .option('--no-attacker', 'exposure mode: do not create the attacker pod in a fresh namespace')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText('after', DIAGNOSE_HELP)
    .action(async (f: DiagnoseFlags) => {
      if (!f.from && !f.to) throw new UsageError('name a flow with --from and --to, or one of them for a pod\'s exposure', { hint: 'netpol-harness diagnose --help lists examples' });
      const report = await diagnose({
        ...(f.kubeconfig ? { kubeconfig: f.kubeconfig } : {}),
        ...(f.context ? { context: f.context } : {}),
        ...(f.from ? { from: f.from } : {}),
        ...(f.to ? { to: f.to } : {}),
        ...(f.namespace ? { namespace: f.namespace } : {}),
        ...(f.want ? { want: f.want } : {}),
        probe: f.probe,
        witness: f.witness ?? false,
        ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}),
        ...(f.agentImage ? { agentImage: f.agentImage } : {}),
        ...(f.cni ? { profile: f.cni } : {}),
        rehearse: f.rehearse ?? false,
        ...(f.writeSuite ? { writeSuite: f.writeSuite } : {}),
        noAttacker: !f.attacker,
        progress: createProgress(),
      });
      process.stdout.write(f.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${render(report, { color: process.stdout.isTTY && !process.env.NO_COLOR })}\n`);
      process.exitCode = exitCodeOf(report);
    });
}
