// Exec into a pod through the API server and wait for the command's real end.
// client-node's exec resolves when the WebSocket opens, not when the command ends, and may never
// deliver a status frame; we wait for `close` and treat a missing status as an error, never a deny.
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import { PassThrough, Writable } from 'node:stream';
import type { PodStream, PodStreamHandlers, PodStreamer } from './session.js';

class Sink extends Writable {
  private readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(chunk);
    cb();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** undefined when the API server sent no status frame (outcome unknown). */
  exitCode: number | undefined;
  status?: V1Status;
}

export class ExecError extends Error {}

export function exitCodeFromStatus(s: V1Status | undefined): number | undefined {
  if (!s) return undefined;
  if (s.status === 'Success') return 0;
  const cause = s.details?.causes?.find((c) => c.reason === 'ExitCode');
  return cause?.message ? Number.parseInt(cause.message, 10) : 1;
}

/**
 * The words of a failed exec. The WebSocket handshake rejects with a ws ErrorEvent, not an Error:
 * its message (`Unexpected server response: 404`) tells a gone pod from a stalled API server.
 */
export function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  const m = (e as { message?: unknown; error?: { message?: unknown } } | null)?.message ?? (e as { error?: { message?: unknown } } | null)?.error?.message;
  return typeof m === 'string' && m !== '' ? m : String(e);
}

/** Something that can run a command in a pod; the real one uses the API server, tests use fakes. */
export interface PodExecutor {
  exec(namespace: string, pod: string, container: string, command: string[], timeoutMs: number): Promise<ExecResult>;
}

export class ApiServerExecutor implements PodExecutor, PodStreamer {
  private readonly execApi: Exec;
  constructor(kc: KubeConfig) {
    this.execApi = new Exec(kc);
  }

  /** A command with stdin open for as long as the caller wants (a probe session). */
  async openStream(namespace: string, pod: string, container: string, command: string[], handlers: PodStreamHandlers): Promise<PodStream> {
    const stdin = new PassThrough();
    const out = new Writable({
      write(chunk: Buffer, _enc, cb) {
        handlers.stdout(chunk.toString('utf8'));
        cb();
      },
    });
    const err = new Sink();
    let status: V1Status | undefined;
    let ended = false;
    const end = (res: ExecResult | Error): void => {
      if (ended) return;
      ended = true;
      handlers.end(res);
    };
    let ws: Awaited<ReturnType<Exec['exec']>>;
    try {
      ws = await this.execApi.exec(namespace, pod, container, command, out, err, stdin, false, (s) => {
        status = s;
      });
    } catch (e) {
      throw new ExecError(`exec in ${namespace}/${pod}: ${errorText(e)}`);
    }
    ws.on('close', () => end({ stdout: '', stderr: err.text(), exitCode: exitCodeFromStatus(status), ...(status ? { status } : {}) }));
    ws.on('error', (e: Error) => end(new ExecError(`exec in ${namespace}/${pod}: ${e.message}`)));
    return {
      write: (data) => void stdin.write(data),
      close: () => {
        stdin.end();
        ws.close();
      },
    };
  }

  exec(namespace: string, pod: string, container: string, command: string[], timeoutMs: number): Promise<ExecResult> {
    // Fresh sinks per call: the handler ends the streams it is given when the status arrives.
    const out = new Sink();
    const err = new Sink();
    return new Promise<ExecResult>((resolve, reject) => {
      let status: V1Status | undefined;
      let socket: { close: () => void } | undefined;
      let settled = false;
      const finish = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
      };
      // Backstop only: every probe is bounded inside the pod, so this fires only if the API server hangs.
      const timer = setTimeout(() => {
        socket?.close();
        finish(() => reject(new ExecError(`exec in ${namespace}/${pod} did not finish within ${timeoutMs} ms`)));
      }, timeoutMs);
      this.execApi
        .exec(namespace, pod, container, command, out, err, null, false, (s) => {
          status = s;
        })
        .then((ws) => {
          socket = ws;
          ws.on('close', () => {
            const exitCode = exitCodeFromStatus(status);
            finish(() => resolve({ stdout: out.text(), stderr: err.text(), exitCode, ...(status ? { status } : {}) }));
          });
          ws.on('error', (e: Error) => finish(() => reject(new ExecError(`exec in ${namespace}/${pod}: ${e.message}`))));
        })
        .catch((e: unknown) => {
          const msg = errorText(e);
          finish(() => reject(new ExecError(`exec in ${namespace}/${pod}: ${msg}`)));
        });
    });
  }
}
