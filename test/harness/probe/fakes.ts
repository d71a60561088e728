// Test doubles for the probe engine: an executor that answers like the agent would.
import { expect } from 'chai';
import type { ExecResult, PodExecutor } from '../../../harness/probe/exec.js';
import { agentCommand } from '../../../harness/probe/prober.js';
import { SESSION_COMMAND, type PodStream, type PodStreamer, type PodStreamHandlers } from '../../../harness/probe/session.js';
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

/**
 * Probe sessions over any fake executor: each request line is answered by running the round as a
 * one-shot exec and relaying its result lines (split mid-line, as a stream may deliver them) and a
 * session done line. Knobs: pods whose agent predates sessions, pods whose sessions die or hang.
 */
export class FakeStreamer implements PodExecutor, PodStreamer {
  opens: string[] = [];
  /** Every request line written, as parsed. */
  requests: { pod: string; round: number; parallel: number; spreadMs?: number; targets: AgentTarget[] }[] = [];
  /** Rounds answered over sessions, by pod. */
  sessionRounds: string[] = [];
  noSession = new Set<string>();
  /** The session's process dies when its next request arrives. */
  dieOnNext = new Set<string>();
  hang = new Set<string>();
  wrongRound = new Set<string>();
  openFails = new Set<string>();
  /** Opens of these pods wait until release() (an exec setup that hangs). */
  held = new Set<string>();
  private releases: (() => void)[] = [];
  /** Streams closed, by pod. */
  closed: string[] = [];
  private inFlight = 0;
  maxConcurrentOpens = 0;
  constructor(readonly inner: PodExecutor) {}

  exec(namespace: string, pod: string, container: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    return this.inner.exec(namespace, pod, container, command, timeoutMs);
  }

  async openStream(namespace: string, pod: string, container: string, command: string[], handlers: PodStreamHandlers): Promise<PodStream> {
    this.opens.push(pod);
    this.inFlight++;
    this.maxConcurrentOpens = Math.max(this.maxConcurrentOpens, this.inFlight);
    await new Promise((r) => setImmediate(r));
    if (this.held.has(pod)) await new Promise<void>((r) => this.releases.push(r));
    this.inFlight--;
    if (this.openFails.has(pod)) throw new Error(`exec in ${namespace}/${pod}: Unexpected server response: 404`);
    let ended = false;
    const end = (res: ExecResult | Error): void => {
      if (!ended) handlers.end(res);
      ended = true;
    };
    if (this.noSession.has(pod)) setImmediate(() => end({ stdout: '', stderr: 'nph-agent: unknown subcommand "session" (want version, serve, probe or witness)\n', exitCode: 2 }));
    expect(command).to.deep.equal(SESSION_COMMAND);
    return {
      write: (data) => {
        const req = JSON.parse(data) as { round: number; parallel: number; spreadMs?: number; targets: AgentTarget[] };
        this.requests.push({ pod, ...req });
        if (ended || this.hang.has(pod) || this.noSession.has(pod)) return;
        if (this.dieOnNext.has(pod)) {
          setImmediate(() => end({ stdout: '', stderr: '', exitCode: 137 }));
          return;
        }
        void this.inner.exec(namespace, pod, container, agentCommand(req.targets, req.parallel), 0).then(
          (res) => {
            if (ended) return;
            this.sessionRounds.push(pod);
            const lines = res.stdout.split('\n').filter((l) => l && !l.startsWith('{"done"'));
            const round = this.wrongRound.has(pod) ? req.round + 1 : req.round;
            const text = `${[...lines, JSON.stringify({ done: true, round, count: req.targets.length })].join('\n')}\n`;
            const cut = Math.floor(text.length / 2);
            handlers.stdout(text.slice(0, cut));
            handlers.stdout(text.slice(cut));
          },
          (e: unknown) => end(e instanceof Error ? e : new Error(String(e))),
        );
      },
      close: () => {
        this.closed.push(pod);
        end({ stdout: '', stderr: '', exitCode: 0 });
      },
    };
  }

  /** Opens waiting for release(). */
  get holding(): number {
    return this.releases.length;
  }

  /** Lets every held open go on. */
  release(): void {
    for (const r of this.releases.splice(0)) r();
  }
}
