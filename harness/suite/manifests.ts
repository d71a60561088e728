// The user's own manifests (suite `manifests:`), read and checked before any cluster work: a bad
// file is an InputError naming it (exit 2). Pure of the cluster stack, so `validate` can use it;
// apply/manifests.ts applies them.
import path from 'node:path';
import { InputError, type Issue } from '../errors.js';
import { readInputFile } from '../input-file.js';
import type { KObject } from '../cluster/kube-types.js';
import type { LoadedSuite } from './load.js';
import { parseYaml } from './yaml-source.js';

export interface UserManifest {
  /** The file as shown to the user, and the document's index in it. */
  file: string;
  docIndex: number;
  obj: KObject;
}

/** Kinds without a namespace (the common ones; anything else is treated as namespaced). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'MutatingWebhookConfiguration',
  'ValidatingWebhookConfiguration',
  'APIService',
]);

/** Reads every manifest file of the suite; InputError listing each bad file and document. */
export async function loadManifests(loaded: LoadedSuite): Promise<UserManifest[]> {
  const out: UserManifest[] = [];
  const issues: Issue[] = [];
  for (const [i, ref] of loaded.suite.manifests.entries()) {
    const abs = path.resolve(loaded.dir, ref.file);
    const shown = path.relative(process.cwd(), abs) || abs;
    const r = await readInputFile(abs);
    if (!('text' in r)) {
      const line = loaded.lineOf(`manifests[${i}].file`);
      issues.push({ file: loaded.file, path: `manifests[${i}].file`, ...(line !== undefined ? { line } : {}), message: `${shown}: ${r.why}` });
      continue;
    }
    const text = r.text;
    const parsed = parseYaml(text, shown);
    if (parsed.issues.length > 0) {
      issues.push(...parsed.issues);
      continue;
    }
    parsed.docs.forEach((d, docIndex) => {
      const v = d.value as Partial<KObject> | null;
      // `helm template` prints empty documents for disabled templates: skip them.
      if (v === null || v === undefined) return;
      const at = (p: string, message: string): void => {
        const line = d.lineOf(p);
        issues.push({ file: shown, path: `[doc ${docIndex}]${p ? ` ${p}` : ''}`, ...(line !== undefined ? { line } : {}), message });
      };
      if (typeof v !== 'object' || Array.isArray(v)) return at('', 'is not a YAML mapping (expected a Kubernetes object)');
      if (v.kind === 'List') return at('kind', 'a List is not supported: write its items as separate documents (--- between them)');
      if (typeof v.apiVersion !== 'string' || v.apiVersion === '') return at('apiVersion', 'is missing');
      if (typeof v.kind !== 'string' || v.kind === '') return at('kind', 'is missing');
      if (typeof v.metadata?.name !== 'string' || v.metadata.name === '') return at('metadata.name', 'is missing (generateName is not supported: the harness must find the object again)');
      const obj = structuredClone(v) as KObject;
      if (!CLUSTER_SCOPED.has(obj.kind) && !obj.metadata.namespace) obj.metadata.namespace = ref.namespace ?? 'default';
      out.push({ file: shown, docIndex, obj });
    });
  }
  if (issues.length > 0) throw new InputError(issues);
  return out;
}

interface PodTemplateLike {
  spec?: { containers?: { image?: string }[]; initContainers?: { image?: string }[] };
}

/** Every container image the manifests run (pod templates of workloads, Jobs, CronJobs, Pods). */
export function manifestImages(manifests: UserManifest[]): string[] {
  const images = new Set<string>();
  for (const { obj } of manifests) {
    const spec = obj.spec as { template?: PodTemplateLike; jobTemplate?: { spec?: { template?: PodTemplateLike } } } & PodTemplateLike['spec'];
    const pod = obj.kind === 'Pod' ? spec : (spec?.template?.spec ?? spec?.jobTemplate?.spec?.template?.spec);
    for (const c of [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])]) if (c.image) images.add(c.image);
  }
  return [...images];
}

/** Namespaces the manifests' objects live in or define. */
export function manifestNamespaces(manifests: UserManifest[]): string[] {
  return [...new Set(manifests.map((m) => (m.obj.kind === 'Namespace' ? m.obj.metadata.name : m.obj.metadata.namespace)).filter((n): n is string => !!n))];
}

/** Apply order: namespaces and CRDs first (others live in or depend on them), then file order. */
export function applyOrder(manifests: UserManifest[]): UserManifest[] {
  const rank = (m: UserManifest): number => (m.obj.kind === 'Namespace' ? 0 : m.obj.kind === 'CustomResourceDefinition' ? 1 : 2);
  return [...manifests].sort((a, b) => rank(a) - rank(b));
}
