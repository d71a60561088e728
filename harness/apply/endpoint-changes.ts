// A step's `delete`, `create` and `recreate` on the cluster (suite/presence.ts holds the rules):
// workloads, probes and namespaces leave and join mid-run, and a workload's pods can be replaced by
// new ones with new IPs. Every change waits until it has settled (pods Ready, or gone), and the
// Deployment record the prober reads its source pods and addresses from is updated in place.
import { InfraError, UsageError } from '../errors.js';
import type { NamespaceGuard } from '../cluster/guard.js';
import type { KubeClient, ObjectRef } from '../cluster/kube-client.js';
import type { KObject, PodLike, ServiceLike } from '../cluster/kube-types.js';
import { ENDPOINT_KEY } from '../cluster/labels.js';
import { silentProgress, type Progress } from '../cluster/progress.js';
import { pollUntil, type Clock } from '../cluster/wait.js';
import { endpointChanges, parseTarget } from '../suite/presence.js';
import type { StepSpec, Suite } from '../suite/schema.js';
import { endpointInfo, renderManifests, waitForEndpoints, wantsFor, type Deployment, type Want } from './workloads.js';

export interface EndpointChangerOptions {
  client: KubeClient;
  /** The whole suite: absent namespaces, workloads and probes are rendered from it when created. */
  suite: Suite;
  /** What is deployed now; updated in place. */
  deployment: Deployment;
  guard: NamespaceGuard;
  agentImage: string;
  progress?: Progress;
  /** Deadline for new pods to be Ready and deleted ones to be gone (default 3 min). */
  timeoutMs?: number;
  clock?: Clock;
}

export class EndpointChanger {
  private readonly objects: KObject[];
  private readonly wants: Map<string, Want>;
  private readonly progress: Progress;
  private readonly timeoutMs: number;

  constructor(private readonly opts: EndpointChangerOptions) {
    const d = opts.deployment;
    // Rendered once for the whole suite, so a created workload lands where the suite would place it.
    this.objects = renderManifests(opts.suite, { runId: d.runId, agentImage: opts.agentImage, nodes: d.nodes });
    this.wants = new Map(wantsFor(opts.suite).map((w) => [w.id, w]));
    this.progress = opts.progress ?? silentProgress;
    this.timeoutMs = opts.timeoutMs ?? 180_000;
  }

  private find(kind: string, namespace: string | undefined, name: string): KObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && o.metadata.namespace === namespace);
  }

  private want(id: string): Want {
    const w = this.wants.get(id);
    if (!w || w.kind === 'existing') throw new UsageError(`"${id}" is not a workload or probe the harness deploys`);
    return w;
  }

  private waitOpts(): { timeoutMs: number; clock?: Clock } {
    return { timeoutMs: this.timeoutMs, ...(this.opts.clock ? { clock: this.opts.clock } : {}) };
  }

  /** Waits until no pod of the endpoint is left, terminating ones included: they would still answer. */
  private async waitPodsGone(w: Want): Promise<void> {
    const { client } = this.opts;
    const gone = await pollUntil(async () => (await client.list<PodLike>('v1', 'Pod', { namespace: w.namespace, labelSelector: `${ENDPOINT_KEY}=${w.name}` })).length === 0, {
      ...this.waitOpts(),
      intervalMs: 500,
    });
    if (!gone) throw new InfraError(`pods of ${w.id} still running ${Math.round(this.timeoutMs / 1000)} s after deleting it`);
  }

  /** Deletes workloads and probes (Deployment and Service), then namespaces (which take theirs along). */
  async delete(targets: string[]): Promise<void> {
    const { client, guard, deployment } = this.opts;
    const parsed = targets.map(parseTarget);
    for (const t of parsed) {
      if (t.kind !== 'endpoint') continue;
      const w = this.want(t.id);
      await guard.assertMutable(w.namespace, `delete ${w.id}`);
      const refs: ObjectRef[] = [{ apiVersion: 'apps/v1', kind: 'Deployment', namespace: w.namespace, name: w.name }];
      if (this.find('Service', w.namespace, w.name)) refs.push({ apiVersion: 'v1', kind: 'Service', namespace: w.namespace, name: w.name });
      for (const r of refs) await client.delete(r);
      await this.waitPodsGone(w);
      deployment.endpoints.delete(w.id);
      this.progress.info(`deleted ${w.kind} ${w.id}`);
    }
    for (const t of parsed) {
      if (t.kind !== 'namespace') continue;
      await guard.deleteNamespace(t.name, this.waitOpts());
      for (const [id, e] of deployment.endpoints) if (e.namespace === t.name && e.kind !== 'existing') deployment.endpoints.delete(id);
      this.progress.info(`deleted namespace ${t.name}`);
    }
  }

  /** Creates namespaces, then workloads and probes, and waits until their pods are Ready. */
  async create(targets: string[]): Promise<void> {
    const { client, guard } = this.opts;
    const parsed = targets.map(parseTarget);
    for (const t of parsed) {
      if (t.kind !== 'namespace') continue;
      const ns = this.find('Namespace', undefined, t.name);
      if (!ns) throw new UsageError(`namespace "${t.name}" is not declared in the suite`);
      await guard.ensureNamespace(ns);
      this.progress.info(`created namespace ${t.name}`);
    }
    const wants: Want[] = [];
    const services = new Map<string, ServiceLike>();
    for (const t of parsed) {
      if (t.kind !== 'endpoint') continue;
      const w = this.want(t.id);
      await guard.assertMutable(w.namespace, `create ${w.id}`);
      for (const kind of ['Deployment', 'Service']) {
        const obj = this.find(kind, w.namespace, w.name);
        if (!obj) continue;
        const stored = await client.apply<ServiceLike>(obj);
        if (kind === 'Service') services.set(w.id, stored);
      }
      wants.push(w);
    }
    await this.settle(wants, services, 'created');
  }

  /** Deletes the pods of workloads and probes and waits for their replacements (new names, new IPs). */
  async recreate(targets: string[]): Promise<void> {
    const { client, guard } = this.opts;
    const wants: Want[] = [];
    for (const t of targets.map(parseTarget)) {
      if (t.kind !== 'endpoint') throw new UsageError(`recreate takes a workload or probe, not ${t.text}`);
      const base = this.want(t.id);
      await guard.assertMutable(base.namespace, `recreate the pods of ${base.id}`);
      const old = await client.list<PodLike>('v1', 'Pod', { namespace: base.namespace, labelSelector: `${ENDPOINT_KEY}=${base.name}` });
      for (const p of old) await client.delete({ apiVersion: 'v1', kind: 'Pod', namespace: base.namespace, name: p.metadata.name ?? '' });
      wants.push({ ...base, exclude: new Set(old.map((p) => p.metadata.name ?? '')) });
    }
    await this.settle(wants, new Map(), 'recreated');
  }

  private async settle(wants: Want[], services: Map<string, ServiceLike>, verb: string): Promise<void> {
    if (wants.length === 0) return;
    const ready = await waitForEndpoints(this.opts.client, wants, this.waitOpts());
    for (const w of wants) {
      const svc = services.get(w.id) ?? (this.find('Service', w.namespace, w.name) ? await this.opts.client.get<ServiceLike>({ apiVersion: 'v1', kind: 'Service', namespace: w.namespace, name: w.name }) : undefined);
      const info = await endpointInfo(this.opts.client, w, ready.get(w.id) ?? [], svc);
      this.opts.deployment.endpoints.set(w.id, info);
      this.progress.info(`${verb} ${w.kind} ${w.id}: ${info.pods.map((p) => `${p.name} ${p.ip}`).join(', ')}`);
    }
  }

  /** One step's changes in order: delete, create, recreate. */
  async applyStep(step: Pick<StepSpec, 'create' | 'delete' | 'recreate'>): Promise<void> {
    const ch = endpointChanges(step);
    if (ch.delete.length) await this.delete(ch.delete);
    if (ch.create.length) await this.create(ch.create);
    if (ch.recreate.length) await this.recreate(ch.recreate);
  }
}
