// Test doubles for the probe engine: an executor that answers like the agent would.
import type { ExecResult, PodExecutor } from '../../../harness/probe/exec.js';
import type { AgentTarget } from '../../../harness/probe/targets.js';

export type Answer = (pod: string, t: AgentTarget, call: number) => string;

export class FakeExecutor implements PodExecutor {
  calls: { namespace: string; pod: string; targets: AgentTarget[] }[] = [];
  constructor(
    private readonly answer: Answer,
    private readonly override?: (pod: string) => ExecResult | Error | undefined,
  ) {}

  exec(namespace: string, pod: string, _container: string, command: string[]): Promise<ExecResult> {
    const targets = JSON.parse(command[command.indexOf('--targets') + 1]!) as AgentTarget[];
    this.calls.push({ namespace, pod, targets });
    const o = this.override?.(pod);
    if (o instanceof Error) return Promise.reject(o);
    if (o) return Promise.resolve(o);
    const n = this.calls.length;
    const lines = targets.map((t) => JSON.stringify({ id: t.id, class: this.answer(pod, t, n), latencyMs: 1 }));
    lines.push(JSON.stringify({ done: true, count: targets.length }));
    return Promise.resolve({ stdout: lines.join('\n') + '\n', stderr: '', exitCode: 0 });
  }
}
