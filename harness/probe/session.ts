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
  /** How long opening a session may take, and its warm-up round (default 20 s); past it the pod's round uses a one-shot exec. */
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
  /** The warm-up round (SessionPool.warm) while it runs. */
  warming: Promise<void> | undefined;
  /** Resolves when the stream is open (true) or could not open (false). */
  opening: Promise<boolean> = Promise.resolve(false);
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

export interface PodRef {
  namespace: string;
  pod: string;
  container: string;
}

const keyOf = (p: PodRef): string => `${p.namespace}/${p.pod}/${p.container}`;

/**
 * The stream, or a rejection when it does not open in time (an exec that never opens must not hold
 * a round); one that opens after that is closed at once, so its agent does not wait on stdin forever.
 */
function openWithin(p: Promise<PodStream>, ms: number): Promise<PodStream> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      p.then((stream) => stream.close(), () => undefined);
      reject(new Error(`session did not open within ${ms} ms`));
    }, ms);
  });
  return Promise.race([p.then((stream) => (late ? Promise.reject(new Error('opened too late')) : stream)), t]).finally(() => clearTimeout(timer));
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
  private closed = false;
  readonly stats: SessionStats = { opened: 0, rounds: 0, fallbacks: 0 };

  constructor(
    private readonly streamer: PodStreamer,
    private readonly opts: SessionPoolOptions = {},
  ) {
    this.openLimit = pLimit(opts.openConcurrency ?? 32);
  }

  /**
   * Opens sessions for these pods ahead of their first round (a run opens its sources' sessions
   * while it applies the first step, so that step's first round pays no exec setups). Failures are
   * not errors here: the pod's first round tries again, then falls back to a one-shot exec.
   */
  async warm(pods: readonly PodRef[]): Promise<void> {
    await Promise.all(
      pods.map(async (p) => {
        const key = keyOf(p);
        const s = await this.session(key, p);
        if (!s || s.busy || s.warming) return;
        // An open stream does not mean a running agent: the container runtime starts the process after
        // the stream is up, and a hundred of those starts would land in the first round. An empty round
        // returns once the agent answers.
        s.warming = s.run([], { parallel: 1, probeMs: 0 }, this.opts.openSlackMs ?? 20_000).then((out) => {
          s.warming = undefined;
          if (out === undefined) this.forget(key, s);
        });
        await s.warming;
      }),
    );
  }

  /**
   * Runs one round of probes from a pod over its session. Returns the agent's output, or undefined
   * when no session could answer (the caller then uses a one-shot exec).
   */
  async run(pod: PodRef, targets: AgentTarget[], shape: RoundShape): Promise<string | undefined> {
    const key = keyOf(pod);
    if (this.unsupported.has(key)) return this.fallback();
    const deadline = shape.probeMs + (shape.spreadMs ?? 0) + (this.opts.roundSlackMs ?? 5000);
    let s = await this.session(key, pod);
    if (s?.warming) {
      // Its warm-up round is on the way: wait for it rather than fall back to a one-shot exec.
      await s.warming;
      s = await this.session(key, pod);
    }
    if (!s) return this.fallback();
    // A session runs one round at a time; a second caller meanwhile (never the prober's own rounds)
    // uses a one-shot exec rather than disturb it.
    if (s.busy) return this.fallback();
    const out = await s.run(targets, shape, deadline);
    if (out === undefined) return this.drop(key, s);
    this.stats.rounds++;
    return out;
  }

  /** The pod's open session: the one open (or being opened, by warm()), else a new one; undefined when it cannot open. */
  private async session(key: string, pod: PodRef): Promise<AgentSession | undefined> {
    if (this.unsupported.has(key) || this.closed) return undefined;
    let s = this.sessions.get(key);
    if (!s || s.dead) {
      s = new AgentSession();
      this.sessions.set(key, s);
      const session = s;
      session.opening = this.openLimit(async () => {
        if (session.dead) return false; // closed while it waited for its turn
        try {
          session.stream = await openWithin(this.streamer.openStream(pod.namespace, pod.pod, pod.container, SESSION_COMMAND, session.handlers), this.opts.openSlackMs ?? 20_000);
          this.stats.opened++;
          return true;
        } catch {
          session.dead = true;
          return false;
        }
      });
    }
    const opened = await s.opening;
    if (!opened || s.dead) {
      this.forget(key, s);
      return undefined;
    }
    // A session closed (close()) while it was opening must not outlive the pool.
    if (this.closed) {
      s.kill();
      return undefined;
    }
    return s;
  }

  private drop(key: string, s: AgentSession): undefined {
    this.forget(key, s);
    return this.fallback();
  }

  /** Ends a failed session; an agent without `session` is not asked again. */
  private forget(key: string, s: AgentSession): void {
    s.kill();
    if (this.sessions.get(key) === s) this.sessions.delete(key);
    const e = s.endedWith;
    // `nph-agent: unknown subcommand "session"`, exit 2: an agent built before sessions.
    if (e && !(e instanceof Error) && e.exitCode === 2 && /unknown subcommand/.test(e.stderr)) this.unsupported.add(key);
  }

  private fallback(): undefined {
    this.stats.fallbacks++;
    return undefined;
  }

  /** Ends every session (their agents see end of input and exit); later rounds use one-shot execs. */
  close(): void {
    this.closed = true;
    for (const s of this.sessions.values()) s.kill();
    this.sessions.clear();
  }
}
