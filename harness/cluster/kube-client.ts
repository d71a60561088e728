// The few Kubernetes operations the cluster layer needs, behind an interface so tests can use an
// in-memory fake. The real implementation talks raw JSON through client-node's KubernetesObjectApi.
import { ApiException, CoreV1Api, HttpMethod, KubernetesObjectApi, PatchStrategy, type KubeConfig, type KubernetesObject, type ResponseContext } from '@kubernetes/client-node';
import { InfraError } from '../errors.js';
import { FIELD_MANAGER } from './labels.js';
import type { EventLike, KObject } from './kube-types.js';
import { withDeadline } from './wait.js';

/** Every API call has a deadline, so a paused or throttled API server cannot hang a run (NPH_API_TIMEOUT_MS). */
export const API_DEADLINE_MS = Number(process.env.NPH_API_TIMEOUT_MS) > 0 ? Number(process.env.NPH_API_TIMEOUT_MS) : 60_000;

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface ApplyOptions {
  fieldManager?: string;
  /** Take over fields other managers own (default true: the harness's view wins). */
  force?: boolean;
}

export interface KubeClient {
  /** Server-side apply; creates the object when absent. Returns the object as stored. */
  apply<T extends KObject = KObject>(obj: KObject, opts?: ApplyOptions): Promise<T>;
  /**
   * Replaces the object (HTTP PUT; conflict when metadata.resourceVersion is stale). Used to put
   * back the managedFields found before a rehearsal (field-owners.ts).
   */
  update<T extends KObject = KObject>(obj: KObject): Promise<T>;
  /** The object, or undefined when it does not exist. */
  get<T extends KObject = KObject>(ref: ObjectRef): Promise<T | undefined>;
  list<T extends KObject = KObject>(apiVersion: string, kind: string, opts?: ListOptions): Promise<T[]>;
  /** Deletes; false when it was already gone. */
  delete(ref: ObjectRef, opts?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' }): Promise<boolean>;
  /** Merge-patches metadata.labels: sets `set`, removes `remove`. Other labels are untouched. */
  patchLabels(ref: ObjectRef, set: Record<string, string>, remove: string[]): Promise<void>;
  /** Events about one object, oldest first. */
  events(ref: ObjectRef): Promise<EventLike[]>;
  /** The tail of one container's log (diagnosis only; optional so minimal clients need not have it). */
  logs?(namespace: string, pod: string, opts: LogOptions): Promise<string>;
}

export interface LogOptions {
  container: string;
  tailLines?: number;
  limitBytes?: number;
  /** The previous (crashed) instance's log rather than the current one's. */
  previous?: boolean;
}

export function refOf(o: { apiVersion: string; kind: string; metadata?: { name?: string; namespace?: string } }): ObjectRef {
  const ref: ObjectRef = { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata?.name ?? '' };
  if (o.metadata?.namespace) ref.namespace = o.metadata.namespace;
  return ref;
}

export function refKey(r: ObjectRef): string {
  return `${r.kind}/${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

export function describeRef(r: ObjectRef): string {
  return `${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`;
}

/**
 * An object as read from the server, reduced to what a user would have applied: no status, uid,
 * resourceVersion or managedFields. Re-applying it restores the object's desired state.
 */
export function forReapply(o: KObject): KObject {
  const { apiVersion, kind, metadata, ...rest } = o;
  const clean: KObject = { apiVersion, kind, metadata: { name: metadata.name } };
  if (metadata.namespace) clean.metadata.namespace = metadata.namespace;
  if (metadata.labels && Object.keys(metadata.labels).length > 0) clean.metadata.labels = { ...metadata.labels };
  if (metadata.annotations && Object.keys(metadata.annotations).length > 0) clean.metadata.annotations = { ...metadata.annotations };
  for (const [k, v] of Object.entries(rest)) if (k !== 'status') clean[k] = structuredClone(v);
  return clean;
}

export function httpStatusOf(e: unknown): number | undefined {
  if (e instanceof ApiException) return e.code;
  const c = (e as { code?: unknown; statusCode?: unknown } | null)?.code ?? (e as { statusCode?: unknown } | null)?.statusCode;
  return typeof c === 'number' ? c : undefined;
}

export function isNotFound(e: unknown): boolean {
  return httpStatusOf(e) === 404;
}

/** The apiserver does not (yet) know a kind: typical right after CRDs were created. */
export function isUnknownKind(e: unknown): boolean {
  const m = e instanceof Error ? e.message : String(e);
  return /Unrecognized API version and kind|no matches for kind|could not find the requested resource/i.test(m);
}

/** The server's own message from an API error body (a Status object), else the error text. */
export function apiErrorMessage(e: unknown): string {
  if (e instanceof ApiException) {
    const body: unknown = e.body;
    let msg: string | undefined;
    if (typeof body === 'string') {
      try {
        msg = (JSON.parse(body) as { message?: string }).message;
      } catch {
        msg = body.slice(0, 500);
      }
    } else if (body && typeof body === 'object') {
      msg = (body as { message?: string }).message;
    }
    return `HTTP ${e.code}${msg ? `: ${msg}` : ''}`;
  }
  return e instanceof Error ? e.message : String(e);
}

/** KubernetesObjectApi without its model (de)serialisation, which drops fields it has no model for. */
class RawObjectApi extends KubernetesObjectApi {
  static make(kc: KubeConfig): RawObjectApi {
    const c = kc.makeApiClient(RawObjectApi);
    c.setDefaultNamespace(kc);
    return c;
  }

  protected override async processResponse<T extends KubernetesObject>(response: ResponseContext, _type?: string): Promise<T> {
    const text = await response.body.text();
    if (response.httpStatusCode >= 200 && response.httpStatusCode <= 299) return (text ? JSON.parse(text) : {}) as T;
    throw new ApiException(response.httpStatusCode, 'Unsuccessful HTTP Request', text, response.headers);
  }

  rawPatch(obj: KObject, contentType: string, query: Record<string, string>): Promise<KObject> {
    return this.rawSend(obj, HttpMethod.PATCH, 'patch', query, contentType);
  }

  async rawSend(obj: KObject, method: HttpMethod, action: 'patch' | 'replace', query: Record<string, string>, contentType = 'application/json'): Promise<KObject> {
    const path = await this.specUriPath(obj as KubernetesObject, action);
    const ctx = this.configuration.baseServer.makeRequestContext(path, method);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('Content-Type', contentType);
    for (const [k, v] of Object.entries(query)) ctx.setQueryParam(k, v);
    // JSON is valid YAML, so the apply-patch+yaml content type accepts it as is.
    ctx.setBody(JSON.stringify(obj));
    return this.requestPromise<KubernetesObject>(ctx) as Promise<KObject>;
  }
}

function eventTime(e: EventLike): string {
  return e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata.creationTimestamp ?? '';
}

export function sortEvents(events: EventLike[]): EventLike[] {
  return [...events].sort((a, b) => eventTime(a).localeCompare(eventTime(b)));
}

/** The real KubeClient. Errors other than "not found" become InfraErrors naming the object. */
export class ClientNodeKubeClient implements KubeClient {
  private readonly api: RawObjectApi;
  private readonly core: CoreV1Api;

  constructor(
    kc: KubeConfig,
    private readonly deadlineMs = API_DEADLINE_MS,
  ) {
    this.api = RawObjectApi.make(kc);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private bounded<T>(p: Promise<T>, what: string): Promise<T> {
    return withDeadline(p, this.deadlineMs, `the API server (${what})`);
  }

  private fail(action: string, what: string, e: unknown): never {
    throw new InfraError(`${action} ${what} failed: ${apiErrorMessage(e)}`, { cause: e });
  }

  async apply<T extends KObject = KObject>(obj: KObject, opts: ApplyOptions = {}): Promise<T> {
    try {
      return (await this.bounded(
        this.api.rawPatch(obj, PatchStrategy.ServerSideApply, {
          fieldManager: opts.fieldManager ?? FIELD_MANAGER,
          force: String(opts.force ?? true),
        }),
        `applying ${describeRef(refOf(obj))}`,
      )) as T;
    } catch (e) {
      if (isUnknownKind(e)) throw e; // callers retry these (CRDs still being established)
      this.fail('server-side apply of', describeRef(refOf(obj)), e);
    }
  }

  async update<T extends KObject = KObject>(obj: KObject): Promise<T> {
    try {
      return (await this.bounded(this.api.rawSend(obj, HttpMethod.PUT, 'replace', { fieldManager: FIELD_MANAGER }), `updating ${describeRef(refOf(obj))}`)) as T;
    } catch (e) {
      this.fail('updating', describeRef(refOf(obj)), e);
    }
  }

  async get<T extends KObject = KObject>(ref: ObjectRef): Promise<T | undefined> {
    try {
      const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
      return (await this.bounded(this.api.read(spec), `reading ${describeRef(ref)}`)) as unknown as T;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      this.fail('reading', describeRef(ref), e);
    }
  }

  async list<T extends KObject = KObject>(apiVersion: string, kind: string, opts: ListOptions = {}): Promise<T[]> {
    try {
      const res = await this.bounded(this.api.list(apiVersion, kind, opts.namespace, undefined, undefined, undefined, opts.fieldSelector, opts.labelSelector), `listing ${kind}`);
      return ((res as unknown as { items?: T[] }).items ?? []).map((i) => ({ ...i, apiVersion, kind }));
    } catch (e) {
      this.fail('listing', `${kind}${opts.namespace ? ` in ${opts.namespace}` : ''}`, e);
    }
  }

  async delete(ref: ObjectRef, opts: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' } = {}): Promise<boolean> {
    try {
      const spec = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) } };
      await this.bounded(this.api.delete(spec, undefined, undefined, undefined, undefined, opts.propagationPolicy ?? 'Background'), `deleting ${describeRef(ref)}`);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      this.fail('deleting', describeRef(ref), e);
    }
  }

  async patchLabels(ref: ObjectRef, set: Record<string, string>, remove: string[]): Promise<void> {
    const labels: Record<string, string | null> = { ...set };
    for (const k of remove) if (!(k in set)) labels[k] = null; // null deletes a key in a merge patch
    const body: KObject = { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { name: ref.name, labels } as KObject['metadata'] };
    if (ref.namespace) body.metadata.namespace = ref.namespace;
    try {
      await this.bounded(this.api.rawPatch(body, PatchStrategy.MergePatch, { fieldManager: FIELD_MANAGER }), `relabelling ${describeRef(ref)}`);
    } catch (e) {
      this.fail('relabelling', describeRef(ref), e);
    }
  }

  async events(ref: ObjectRef): Promise<EventLike[]> {
    const fieldSelector = `involvedObject.name=${ref.name},involvedObject.kind=${ref.kind}`;
    const items = await this.list<EventLike>('v1', 'Event', { ...(ref.namespace ? { namespace: ref.namespace } : {}), fieldSelector });
    return sortEvents(items);
  }

  async logs(namespace: string, pod: string, opts: LogOptions): Promise<string> {
    try {
      return await this.core.readNamespacedPodLog({
        name: pod,
        namespace,
        container: opts.container,
        ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}),
        ...(opts.limitBytes !== undefined ? { limitBytes: opts.limitBytes } : {}),
        ...(opts.previous ? { previous: true } : {}),
      });
    } catch (e) {
      this.fail('reading the log of', `container ${opts.container} of pod ${namespace}/${pod}`, e);
    }
  }
}
