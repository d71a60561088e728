// Seeded background faults for `npm run soak -- --chaos`: once per run, while a randomly chosen step
// probes, one of these lands on the soak's own kind cluster (never any other): the agent killed in a
// harness pod, a harness pod deleted, CoreDNS scaled to zero (restored after a while), the
// control-plane container paused (unpaused after a while). Every fault is undone by restore().
import { execaRunner, runChecked } from '../harness/cluster/command.js';
import type { Cluster } from '../harness/cluster/provider.js';
import type { PodLike } from '../harness/cluster/kube-types.js';

export const FAULT_KINDS = ['agent-kill', 'pod-delete', 'dns-zero', 'api-pause'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface Injection {
  kind: FaultKind;
  step: string;
  target: string;
  /** ms since the epoch: when the fault landed, and when it was undone (instant faults: the same). */
  at: number;
  restoredAt?: number;
}

const DOCKER = process.env.NPH_DOCKER ?? 'docker';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Chaos {
  private pending: Promise<void> | undefined;
  injection: Injection | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly rand: () => number,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  private get controlPlane(): string {
    return `${this.cluster.name}-control-plane`;
  }

  /** Every docker call is bounded (cluster/command.ts): a stalled engine fails the fault, never hangs the soak. */
  private kubectl(...args: string[]) {
    return runChecked(execaRunner, DOCKER, ['exec', this.controlPlane, 'kubectl', '--kubeconfig', '/etc/kubernetes/admin.conf', ...args], `chaos: kubectl ${args.join(' ')}`);
  }

  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** Chooses this run's fault and the step it lands in. */
  plan(steps: string[]): { kind: FaultKind; step: string } {
    return { kind: this.pick(FAULT_KINDS), step: this.pick(steps) };
  }

  private async harnessPod(): Promise<PodLike | undefined> {
    const pods = await this.cluster.client.list<PodLike>('v1', 'Pod', { labelSelector: 'netpol-harness/endpoint' });
    const running = pods.filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
    return running.length ? this.pick(running) : undefined;
  }

  /** Injects the fault now; faults that last are undone in the background after 10-25 s. */
  async inject(kind: FaultKind, step: string): Promise<void> {
    const hold = 10_000 + Math.floor(this.rand() * 15_000);
    const at = Date.now();
    if (kind === 'agent-kill' || kind === 'pod-delete') {
      const pod = await this.harnessPod();
      if (!pod) return;
      const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
      if (kind === 'pod-delete') {
        await this.cluster.client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: pod.metadata.namespace ?? '', name: pod.metadata.name ?? '' });
      } else {
        // The agent container's PID on its node, via the node's CRI; only this cluster's node container is touched.
        const script = `pid=$(crictl inspect -o go-template --template '{{.info.pid}}' $(crictl ps -q --name agent --pod $(crictl pods -q --namespace ${pod.metadata.namespace} --name '^${pod.metadata.name}$'))) && kill -9 $pid`;
        await runChecked(execaRunner, DOCKER, ['exec', pod.spec?.nodeName ?? '', 'sh', '-c', script], `chaos: killing the agent in ${id}`);
      }
      this.injection = { kind, step, target: id, at, restoredAt: at };
    } else if (kind === 'dns-zero') {
      await this.kubectl('-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=0');
      this.injection = { kind, step, target: 'kube-system/coredns', at };
      this.pending = sleep(hold).then(() => this.restoreDns());
    } else {
      await runChecked(execaRunner, DOCKER, ['pause', this.controlPlane], `chaos: pausing ${this.controlPlane}`);
      this.injection = { kind, step, target: this.controlPlane, at };
      this.pending = sleep(hold).then(() => this.unpause());
    }
    this.log(`chaos: ${kind} ${this.injection?.target ?? ''} during step ${step}${this.pending ? ` for ${(hold / 1000).toFixed(0)} s` : ''}`);
  }

  private async restoreDns(): Promise<void> {
    if (!this.injection || this.injection.restoredAt) return;
    await this.kubectl('-n', 'kube-system', 'scale', 'deployment', 'coredns', '--replicas=2');
    this.injection.restoredAt = Date.now();
    await this.kubectl('-n', 'kube-system', 'rollout', 'status', 'deployment/coredns', '--timeout=180s');
  }

  private async unpause(): Promise<void> {
    if (!this.injection || this.injection.restoredAt) return;
    await execaRunner.run(DOCKER, ['unpause', this.controlPlane]).catch(() => undefined);
    this.injection.restoredAt = Date.now();
  }

  /** Undoes whatever is still in effect (also when the run failed), and returns what was injected. */
  async restore(): Promise<Injection | undefined> {
    await this.pending?.catch(() => undefined);
    if (this.injection?.kind === 'api-pause') await this.unpause();
    if (this.injection?.kind === 'dns-zero') await this.restoreDns();
    const i = this.injection;
    this.injection = undefined;
    this.pending = undefined;
    return i;
  }
}
