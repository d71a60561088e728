// Probe sessions: one long-lived `nph-agent session` exec per source pod, reused round after round.
// A one-shot exec pays its setup every round (API server and kubelet streams, a runc exec in the
// pod): on a 2-core box that, not the probes, is what a 100-source round waits for. A session pays it
// once; a round is then one request line out and result lines back on a stream that is already open.
// Anything unusual (the stream cannot open or ends, a round overruns its deadline, an agent without
// `session`) closes the session and returns undefined: the caller probes with a one-shot exec, whose
// faults are classified, retried and reported as before. A session never yields partial results.
import pLimit from 'p-limit';
import type { ExecResult } from './exec.js';
import type { AgentTarget } from './targets.js';

/** A command running in a pod with stdin open (an exec over the API server, or a fake in tests). */
export interface PodStream {
  write(data: string): void;
  /** Stops the command (closes its stdin and the stream). */
  close(): void;
}

export interface PodStreamHandlers {
  stdout(text: string): void;
  /** The stream ended (the command exited, the pod went away, the connection dropped). */
  end(res: ExecResult | Error): void;
}

/** Opens streams to pods; ApiServerExecutor is one. */
export interface PodStreamer {
  openStream(namespace: string, pod: string, container: string, command: string[], handlers: PodStreamHandlers): Promise<PodStream>;
}

export const SESSION_COMMAND = ['/bin/nph-agent', 'session'];

/** The executor can hold sessions (the API server one can; simple fakes cannot). */
export const canStream = (x: object): x is PodStreamer => typeof (x as Partial<PodStreamer>).openStream === 'function';

export interface SessionPoolOptions {
  /** Sessions being opened at once (each open is an exec setup; default 32). */
  openConcurrency?: number;
  /** Extra time for opening a session on top of a round's deadline (default 20 s). */
  openSlackMs?: number;
  /** Extra time for a round on an open session on top of its probes' timeouts (default 5 s). */
  roundSlackMs?: number;
}

interface Pending {
  round: number;
  lines: string[];
  resolve: (stdout: string | undefined) => void;
  timer: NodeJS.Timeout;
}

/** One `nph-agent session` in one pod: rounds go one at a time. */
class AgentSession {
  private buf = '';
  private rounds = 0;
  private pending: Pending | undefined;
  stream: PodStream | undefined;
  dead = false;
  /** Why it died (for telemetry), e.g. the agent has no `session` subcommand. */
  endedWith: ExecResult | Error | undefined;

  readonly handlers: PodStreamHandlers = {
    stdout: (text) => this.onStdout(text),
    end: (res) => {
      this.dead = true;
      this.endedWith = res;
      this.finish(undefined);
    },
  };

  private onStdout(text: string): void {
    this.buf += text;
    let i: number;
    while ((i = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, i);
      this.buf = this.buf.slice(i + 1);
      this.onLine(line);
    }
  }

  private onLine(line: string): void {
    const p = this.pending;
    if (!p) return; // output outside a round (cannot happen with a well-behaved agent): ignored
    if (line.startsWith('{"done":true')) {
      let done: { round?: unknown; error?: unknown };
      try {
        done = JSON.parse(line) as typeof done;
      } catch {
        done = {};
      }
      // A done line for another round or with an error: this session cannot be trusted.
      if (done.round !== p.round || done.error !== undefined) {
        this.kill();
        return;
      }
      p.lines.push(line);
      this.finish(p.lines.join('\n'));
      return;
    }
    p.lines.push(line);
  }

  private finish(stdout: string | undefined): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    clearTimeout(p.timer);
    p.resolve(stdout);
  }

  /** One round: the agent's output lines (done line included), or undefined when the session failed. */
  run(targets: AgentTarget[], shape: RoundShape, deadlineMs: number): Promise<string | undefined> {
    if (this.dead || !this.stream || this.pending) return Promise.resolve(undefined);
    const round = ++this.rounds;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.kill(), deadlineMs);
      this.pending = { round, lines: [], resolve, timer };
      this.stream!.write(`${JSON.stringify({ round, parallel: shape.parallel, ...(shape.spreadMs ? { spreadMs: shape.spreadMs } : {}), targets })}\n`);
    });
  }

  get busy(): boolean {
    return this.pending !== undefined;
  }

  kill(): void {
    this.dead = true;
    this.stream?.close();
    this.finish(undefined);
  }
}

/** How a round runs in the pod: probes at once, start spreading, and how long its probes may take. */
export interface RoundShape {
  parallel: number;
  spreadMs?: number;
  /** The probes' own time (timeouts times waves); the session's deadline adds slack and the spread. */
  probeMs: number;
}

export interface SessionStats {
  opened: number;
  /** Rounds answered by a session. */
  rounds: number;
  /** Rounds a session could not answer (the caller fell back to a one-shot exec). */
  fallbacks: number;
}

/**
 * Sessions by pod, opened on first use and kept until close(). When a pod's agent has no `session`
 * subcommand (an older image), that pod is not tried again.
 */
export class SessionPool {
  private readonly sessions = new Map<string, AgentSession>();
  private readonly unsupported = new Set<string>();
  private readonly openLimit: ReturnType<typeof pLimit>;
  readonly stats: SessionStats = { opened: 0, rounds: 0, fallbacks: 0 };

  constructor(
    private readonly streamer: PodStreamer,
    private readonly opts: SessionPoolOptions = {},
  ) {
    this.openLimit = pLimit(opts.openConcurrency ?? 32);
  }

  /**
   * Runs one round of probes from a pod over its session. Returns the agent's output, or undefined
   * when no session could answer (the caller then uses a one-shot exec).
   */
  async run(pod: { namespace: string; pod: string; container: string }, targets: AgentTarget[], shape: RoundShape): Promise<string | undefined> {
    const key = `${pod.namespace}/${pod.pod}/${pod.container}`;
    if (this.unsupported.has(key)) return this.fallback();
    let s = this.sessions.get(key);
    let deadline = shape.probeMs + (shape.spreadMs ?? 0) + (this.opts.roundSlackMs ?? 5000);
    if (!s || s.dead) {
      s = new AgentSession();
      this.sessions.set(key, s);
      deadline += this.opts.openSlackMs ?? 20_000;
      const session = s;
      const opened = await this.openLimit(async () => {
        try {
          session.stream = await this.streamer.openStream(pod.namespace, pod.pod, pod.container, SESSION_COMMAND, session.handlers);
          this.stats.opened++;
          return true;
        } catch {
          session.dead = true;
          return false;
        }
      });
      if (!opened) return this.drop(key, s);
    }
    // A session runs one round at a time; a second caller meanwhile (never the prober's own rounds)
    // uses a one-shot exec rather than disturb it.
    if (s.busy) return this.fallback();
    const out = await s.run(targets, shape, deadline);
    if (out === undefined) return this.drop(key, s);
    this.stats.rounds++;
    return out;
  }

  private drop(key: string, s: AgentSession): undefined {
    s.kill();
    if (this.sessions.get(key) === s) this.sessions.delete(key);
    const e = s.endedWith;
    // `nph-agent: unknown subcommand "session"`, exit 2: an agent built before sessions.
    if (e && !(e instanceof Error) && e.exitCode === 2 && /unknown subcommand/.test(e.stderr)) this.unsupported.add(key);
    return this.fallback();
  }

  private fallback(): undefined {
    this.stats.fallbacks++;
    return undefined;
  }

  /** Ends every session (their agents see end of input and exit). */
  close(): void {
    for (const s of this.sessions.values()) s.kill();
    this.sessions.clear();
  }
}
