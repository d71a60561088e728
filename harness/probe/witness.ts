// The destination witness: for a destination probed in place, the verdict must not depend on the
// application answering. A witness (`nph-agent witness` in an ephemeral container of the
// destination pod) records which probes arrived: a UDP datagram carrying the probe's marker, or
// the source's TCP SYN. Arrived = the policies let it through (allow), even when nothing listens
// and the kernel answered with an RST or ICMP port unreachable that the source reads as refused;
// not arrived = deny; a witness that failed = error, never a deny.
import { randomBytes } from 'node:crypto';
import { PassThrough, Writable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { cellKey } from '../matrix/matrix.js';
import type { AgentResult } from './agent-output.js';
import { exitCodeFromStatus } from './exec.js';
import { AGENT_PATH, type Prober, type ProbeRequest, type RoundResults, type SourcePod, type RoundOptions } from './prober.js';
import type { AgentTarget } from './targets.js';

/** The pod (and its ephemeral witness container) standing for one destination endpoint. */
export interface WitnessPod {
  endpoint: string;
  namespace: string;
  pod: string;
  container: string;
}

export interface WitnessExpectation {
  id: string;
  proto: 'udp' | 'tcp';
  port: number;
  marker?: string;
  src?: string;
}

export type WitnessOutcome = { arrived: boolean; from?: string } | { error: string };

/** One witness run in one pod: ready once its sockets are open; stop() ends it early. */
export interface WitnessRun {
  ready: Promise<void>;
  stop(): void;
  result: Promise<Map<string, WitnessOutcome>>;
}

export type StartWitness = (pod: WitnessPod, expectations: WitnessExpectation[], maxMs: number) => WitnessRun;

/** Combines the source's result with the witness's. Pure. */
export function judge(source: AgentResult, witness: WitnessOutcome | undefined): AgentResult {
  if (witness === undefined || source.class === 'connected' || source.class === 'error' || source.class === 'unsupported') return source;
  const said = `the source saw ${source.class}${source.detail ? ` (${source.detail})` : ''}`;
  if ('error' in witness) return { ...source, class: 'error', detail: `witness failed: ${witness.error}; ${said}` };
  if (witness.arrived) {
    return { ...source, class: 'connected', detail: `witness: the probe arrived at the destination pod${witness.from ? ` from ${witness.from}` : ''}, no application answer; ${said}` };
  }
  return { ...source, detail: `witness: the probe never arrived at the destination pod; ${said}` };
}

export interface WitnessPlan {
  /** The requests with markers added to witnessed UDP targets. */
  requests: ProbeRequest[];
  /** Expectations per witnessed pod (keyed by endpoint id). */
  byPod: Map<string, { pod: WitnessPod; expectations: WitnessExpectation[] }>;
  /** Witnessed cells (cellKey) that could not be witnessed, with why. */
  unwitnessed: Map<string, string>;
}

/**
 * Which probes of a round a witness must see. `columnDst` maps a column key to its destination
 * endpoint id; `sourceIP` gives a source pod's IP (TCP SYNs are matched by source address). Pure
 * apart from `token`, which makes markers unique per round.
 */
export function planWitness(
  requests: ProbeRequest[],
  witnessed: ReadonlyMap<string, WitnessPod>,
  columnDst: ReadonlyMap<string, string>,
  sourceIP: (s: SourcePod) => string | undefined,
  token: string,
): WitnessPlan {
  const byPod = new Map<string, { pod: WitnessPod; expectations: WitnessExpectation[] }>();
  const unwitnessed = new Map<string, string>();
  let n = 0;
  const out = requests.map((r) => ({
    source: r.source,
    targets: r.targets.map((t): AgentTarget => {
      const dst = columnDst.get(t.id);
      const pod = dst !== undefined ? witnessed.get(dst) : undefined;
      if (!pod || t.port === undefined || (t.kind !== 'udp' && t.kind !== 'tcp')) return t;
      const id = cellKey(r.source.endpoint, t.id);
      const entry = byPod.get(pod.endpoint) ?? { pod, expectations: [] };
      byPod.set(pod.endpoint, entry);
      if (t.kind === 'udp') {
        const marker = `nphw-${token}-${n++}`;
        entry.expectations.push({ id, proto: 'udp', port: t.port, marker });
        return { ...t, marker };
      }
      const src = sourceIP(r.source);
      if (src === undefined) {
        unwitnessed.set(id, `no IP known for source pod ${r.source.namespace}/${r.source.pod}`);
        return t;
      }
      entry.expectations.push({ id, proto: 'tcp', port: t.port, src });
      return t;
    }),
  }));
  for (const [k, v] of byPod) if (v.expectations.length === 0) byPod.delete(k);
  return { requests: out, byPod, unwitnessed };
}

export interface WitnessingProberOptions {
  witnessed: ReadonlyMap<string, WitnessPod>;
  columnDst: ReadonlyMap<string, string>;
  sourceIP: (s: SourcePod) => string | undefined;
  start: StartWitness;
  /** How long a witness may take to open its sockets. */
  readyTimeoutMs?: number;
}

/** A prober whose witnessed cells are judged by arrival (see judge). */
export class WitnessingProber implements Prober {
  constructor(
    private readonly inner: Prober,
    private readonly opts: WitnessingProberOptions,
  ) {}

  get execCount(): number {
    return this.inner.execCount;
  }

  async round(requests: ProbeRequest[], opts: RoundOptions = {}): Promise<RoundResults> {
    const plan = planWitness(requests, this.opts.witnessed, this.opts.columnDst, this.opts.sourceIP, randomBytes(4).toString('hex'));
    const longest = Math.max(0, ...requests.flatMap((r) => r.targets.map((t) => t.timeoutMs)));
    const runs = [...plan.byPod.values()].map((p) => ({ ...p, run: this.opts.start(p.pod, p.expectations, longest * 4 + 60_000) }));
    // A witness that never got ready cannot say "did not arrive": its cells become errors.
    const readyTimeout = this.opts.readyTimeoutMs ?? 20_000;
    const failed = new Map<string, string>();
    await Promise.all(
      runs.map(async (r) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          await Promise.race([r.run.ready, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(`not ready within ${readyTimeout} ms`)), readyTimeout)))]);
        } catch (e) {
          failed.set(r.pod.endpoint, `${r.pod.namespace}/${r.pod.pod}: ${e instanceof Error ? e.message : String(e)}`);
          r.run.stop();
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    let results: RoundResults;
    try {
      results = await this.inner.round(plan.requests, opts);
    } finally {
      for (const r of runs) r.run.stop();
    }
    const outcomes = new Map<string, WitnessOutcome>();
    for (const r of runs) {
      const why = failed.get(r.pod.endpoint);
      const got = why === undefined ? await r.run.result.catch((e: unknown) => e as Error) : new Error(why);
      for (const x of r.expectations) {
        if (got instanceof Error) outcomes.set(x.id, { error: got.message });
        else outcomes.set(x.id, got.get(x.id) ?? { error: 'the witness printed no line for this probe' });
      }
    }
    for (const [id, why] of plan.unwitnessed) outcomes.set(id, { error: why });
    for (const [key, res] of results) {
      const w = outcomes.get(key);
      if (w) results.set(key, judge(res, w));
    }
    return results;
  }
}

/** The witness's JSON lines: arrivals keyed by expectation id. */
export function parseWitnessOutput(stdout: string): { ready: boolean; done: boolean; arrivals: Map<string, WitnessOutcome> } {
  const arrivals = new Map<string, WitnessOutcome>();
  let ready = false;
  let done = false;
  for (const line of stdout.split('\n')) {
    if (!line.trim()) continue;
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (o.ready === true) ready = true;
    else if (o.done === true) done = true;
    else if (typeof o.id === 'string' && typeof o.arrived === 'boolean') arrivals.set(o.id, { arrived: o.arrived, ...(typeof o.from === 'string' ? { from: o.from } : {}) });
  }
  return { ready, done, arrivals };
}

export function witnessCommand(expectations: WitnessExpectation[], maxMs: number): string[] {
  return [AGENT_PATH, 'witness', '--expect', JSON.stringify(expectations), '--max-ms', String(Math.min(600_000, Math.max(1, Math.round(maxMs))))];
}

/** Collects output and calls onLine for every complete line as it streams in. */
class LineSink extends Writable {
  private text = '';
  constructor(private readonly onLine: (line: string) => void) {
    super();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    const before = this.text.length;
    this.text += chunk.toString('utf8');
    const fresh = this.text.slice(this.text.lastIndexOf('\n', before - 1) + 1);
    const lines = fresh.split('\n');
    lines.pop();
    for (const l of lines) this.onLine(l);
    cb();
  }
  all(): string {
    return this.text;
  }
}

/** The real StartWitness: an exec into the pod's witness container, stdin kept open as the stop signal. */
export function execWitness(kc: KubeConfig): StartWitness {
  const api = new Exec(kc);
  return (pod, expectations, maxMs) => {
    let markReady!: () => void;
    let failReady!: (e: Error) => void;
    const ready = new Promise<void>((res, rej) => ((markReady = res), (failReady = rej)));
    ready.catch(() => {});
    const stdin = new PassThrough();
    const out = new LineSink((l) => {
      if (l.includes('"ready":true')) markReady();
    });
    const err = new LineSink(() => {});
    let status: V1Status | undefined;
    const where = `witness in ${pod.namespace}/${pod.pod}`;
    const result = new Promise<Map<string, WitnessOutcome>>((resolve, reject) => {
      api
        .exec(pod.namespace, pod.pod, pod.container, witnessCommand(expectations, maxMs), out, err, stdin, false, (s) => {
          status = s;
        })
        .then((ws) => {
          ws.on('close', () => {
            const parsed = parseWitnessOutput(out.all());
            const code = exitCodeFromStatus(status);
            if (!parsed.done) {
              const e = new Error(`${where} ended without results (exit ${code ?? 'unknown'}): ${err.all().trim().split('\n')[0] ?? ''}`);
              failReady(e);
              reject(e);
            } else resolve(parsed.arrivals);
          });
        })
        .catch((e: unknown) => {
          const x = new Error(`${where}: ${e instanceof Error ? e.message : String(e)}`);
          failReady(x);
          reject(x);
        });
    });
    result.catch(() => {});
    return {
      ready,
      stop: () => {
        if (!stdin.writableEnded) stdin.end('stop\n');
      },
      result,
    };
  };
}
