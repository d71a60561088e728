// Loading multi-document manifests (URL or file) and applying them server-side, in order.
import { InfraError, UsageError } from '../../errors.js';
import { maxInputBytes, readInputFile } from '../../input-file.js';
import { describeRef, isUnknownKind, refOf, type KubeClient } from '../kube-client.js';
import type { KObject } from '../kube-types.js';
import { realClock, type Clock } from '../wait.js';
import { parseYaml } from '../../suite/yaml-source.js';

export type Fetcher = (url: string, init?: { signal?: AbortSignal }) => Promise<{ ok: boolean; status: number; statusText: string; text(): Promise<string> }>;

/** Reads a manifest from an http(s) URL or a local path. */
export async function readManifestText(source: string, fetcher: Fetcher = fetch, timeoutMs = 60_000): Promise<string> {
  if (/^https?:\/\//i.test(source)) {
    let res: Awaited<ReturnType<Fetcher>>;
    try {
      res = await fetcher(source, { signal: AbortSignal.timeout(timeoutMs) });
    } catch (e) {
      throw new InfraError(`cannot download ${source}: ${(e as Error).message}`, {
        hint: 'on hosts without internet access pass a local copy of the manifest (--calico-manifest <file>)',
        cause: e,
      });
    }
    if (!res.ok) throw new InfraError(`cannot download ${source}: HTTP ${res.status} ${res.statusText}`);
    return res.text();
  }
  // Calico's manifest is a few MB: the cap only stops a device or a runaway file.
  const r = await readInputFile(source, Math.max(maxInputBytes(), 64 * 1024 * 1024));
  if ('text' in r) return r.text;
  throw new UsageError(`cannot read manifest ${source}: ${r.why}`);
}

/** The objects of a multi-document YAML manifest, skipping empty documents and List wrappers' nesting. */
export function parseManifest(text: string, source: string): KObject[] {
  const out: KObject[] = [];
  // The shared reader: YAML as kubectl reads it, errors with their line.
  const parsed = parseYaml(text, source);
  const issue = parsed.issues[0];
  if (issue) throw new InfraError(`${source}${issue.line !== undefined ? `:${issue.line}` : ''}: the manifest is invalid: ${issue.message}`);
  for (const doc of parsed.docs) {
    const v = doc.value as KObject | null;
    if (v === null || typeof v !== 'object') continue;
    if (typeof v.kind === 'string' && v.kind.endsWith('List') && Array.isArray(v.items)) out.push(...(v.items as KObject[]));
    else if (v.apiVersion && v.kind && v.metadata) out.push(v);
  }
  return out;
}

/**
 * Server-side applies objects in manifest order. Objects whose kind the apiserver does not know
 * yet (CRDs just created, not yet established) are retried until the deadline.
 */
export async function applyObjects(client: KubeClient, objects: KObject[], opts: { timeoutMs?: number; clock?: Clock } = {}): Promise<void> {
  const clock = opts.clock ?? realClock;
  const deadline = clock.now() + (opts.timeoutMs ?? 60_000);
  for (const obj of objects) {
    for (;;) {
      try {
        await client.apply(obj);
        break;
      } catch (e) {
        if (!isUnknownKind(e) || clock.now() >= deadline) {
          if (isUnknownKind(e)) throw new InfraError(`applying ${describeRef(refOf(obj))}: the apiserver does not know ${obj.apiVersion} ${obj.kind}`, { cause: e });
          throw e;
        }
        await clock.sleep(1000);
      }
    }
  }
}
