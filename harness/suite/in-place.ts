// Workloads the harness does not deploy (existing: true), probed in place: what is unknown about
// them offline, and the suite as it is once the cluster has told us their labels and ports. Pure.
import type { LoadedSuite } from './load.js';
import type { PortSpec, Suite, WorkloadSpec } from './schema.js';

export type ExistingRefKind = 'deployment' | 'statefulset' | 'daemonset' | 'pod';

export interface ExistingRef {
  kind: ExistingRefKind;
  name: string;
}

/** `deployment/frontend` -> { kind, name }; the schema has checked the shape. */
export function parseRef(ref: string): ExistingRef {
  const i = ref.indexOf('/');
  return { kind: ref.slice(0, i) as ExistingRefKind, name: ref.slice(i + 1) };
}

/** Labels come from the cluster: found by ref with no labels declared. */
export const labelsFromCluster = (w: WorkloadSpec): boolean => w.existing && w.ref !== undefined && Object.keys(w.labels).length === 0;
/** Ports come from the cluster: an existing workload that declares none. */
export const portsFromCluster = (w: WorkloadSpec): boolean => w.existing && w.ports.length === 0;

/** What the cluster told us about one existing workload. */
export interface Discovered {
  labels: Record<string, string>;
  ports: PortSpec[];
}

/**
 * Offline notes: which rows and columns validate/simulate cannot know (they are read from the
 * cluster at run time). One line per workload.
 */
export function offlineUnknowns(suite: Suite): string[] {
  const out: string[] = [];
  for (const w of suite.workloads) {
    const id = `${w.namespace}/${w.name}`;
    const what = [labelsFromCluster(w) ? 'labels' : undefined, portsFromCluster(w) ? 'ports' : undefined].filter(Boolean);
    if (what.length === 0) continue;
    const effect = [
      labelsFromCluster(w) ? `cells ${w.source ? 'from and ' : ''}to it assume no labels` : undefined,
      portsFromCluster(w) ? 'it has no columns' : undefined,
    ].filter(Boolean);
    out.push(`${id}: ${what.join(' and ')} read from the cluster at run time (${w.ref ?? 'by labels'}); offline ${effect.join(' and ')}`);
  }
  return out;
}

/** The uncertainty note for a cell touching a workload whose labels are only known at run time. */
export function labelUncertainty(suite: Suite): Map<string, string> {
  const out = new Map<string, string>();
  for (const w of suite.workloads) {
    if (labelsFromCluster(w)) out.set(`${w.namespace}/${w.name}`, `the labels of ${w.namespace}/${w.name} (${w.ref}) are read from the cluster at run time; offline it has none`);
  }
  return out;
}

/**
 * The suite with existing workloads' labels and ports as found in the cluster: declared labels
 * are a selector and stay; the pods' own labels are added (policies select on all of them);
 * declared ports win over discovered ones.
 */
export function withDiscovered(loaded: LoadedSuite, found: ReadonlyMap<string, Discovered>): LoadedSuite {
  const workloads = loaded.suite.workloads.map((w) => {
    const d = found.get(`${w.namespace}/${w.name}`);
    if (!w.existing || !d) return w;
    return { ...w, labels: { ...d.labels, ...w.labels }, ports: w.ports.length > 0 ? w.ports : d.ports };
  });
  return { ...loaded, suite: { ...loaded.suite, workloads } };
}

/**
 * The suite with its existing namespaces' labels as found in the cluster (declared labels were set
 * there, so they are among them): policies select namespaces on every label they carry.
 */
export function withNamespaceLabels(loaded: LoadedSuite, found: ReadonlyMap<string, Record<string, string>> | undefined): LoadedSuite {
  if (!found || found.size === 0) return loaded;
  const namespaces = loaded.suite.namespaces.map((n) => {
    const live = found.get(n.name);
    return n.existing && live ? { ...n, labels: { ...live, ...n.labels } } : n;
  });
  return { ...loaded, suite: { ...loaded.suite, namespaces } };
}
