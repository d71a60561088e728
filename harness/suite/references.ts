// Cross-reference checks of a schema-valid suite: every name a suite uses must point at
// something it declares, names must be unique where the runner keys on them, and steps must
// make sense in order (remove only what is applied, relabel only what the harness owns).
import type { Issue } from '../errors.js';
import { buildAxes, isSelfCell, type Axes } from '../matrix/axes.js';
import { axesAtStep } from '../matrix/step-axes.js';
import { matchesColumn, matchesSource, parsePattern, selectsDestination, PatternError, unresolvedNames, type TrafficPattern } from '../matrix/pattern.js';
import { cidrsOverlap, formatCidr, isCidr, parseCidr } from './cidr.js';
import { didYouMean } from './hints.js';
import { checkDynamics } from './dynamics-checks.js';
import type { LoadedSuite } from './load.js';
import { policyObjectsAfterEachStep, replacedBy, noPolicyObjects, type PolicyObjects } from './ownership.js';
import type { PortSpec, Suite } from './schema.js';
import { checkServiceAddresses } from './service-ips.js';
import { METADATA_NAME } from './state.js';

/** Namespaces Kubernetes creates itself; a suite must not own (create, relabel, delete) them. */
const SYSTEM_NAMESPACES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Policy-set ids applied after each step, mirroring state.ts: a step removes first, then applies. */
export function appliedAfterEachStep(suite: Suite): string[][] {
  return policyObjectsAfterEachStep(suite.steps, new Map()).map((p) => p.applied);
}

type Add = (path: string, message: string, severity?: 'warning') => void;

function checkCluster(suite: Suite, add: Add): void {
  const parsed = (['podSubnet', 'serviceSubnet'] as const).map((k) => {
    const text = suite.cluster[k];
    const c = parseCidr(text);
    if (!isCidr(c)) {
      add(`cluster.${k}`, `"${text}" is not a valid CIDR: it ${c.error}`);
      return undefined;
    }
    if (c.addr !== c.network) add(`cluster.${k}`, `"${text}" has host bits set: write "${formatCidr(c)}"`);
    return c;
  });
  const [pod, svc] = parsed;
  if (pod && svc && cidrsOverlap(pod, svc))
    add('cluster.serviceSubnet', `"${suite.cluster.serviceSubnet}" overlaps podSubnet "${suite.cluster.podSubnet}": pod and Service addresses must not collide`);
}

function checkPorts(ports: PortSpec[], base: string, what: string, add: Add): void {
  const names = new Map<string, number>();
  const numbers = new Map<string, number>();
  ports.forEach((p, j) => {
    if (p.name !== undefined) {
      const first = names.get(p.name);
      if (first !== undefined) add(`${base}.ports[${j}].name`, `duplicate port name "${p.name}" in ${what} (also ${base}.ports[${first}]): port names must be unique per pod`);
      else names.set(p.name, j);
    }
    const key = `${p.port}/${p.protocol}`;
    const first = numbers.get(key);
    if (first !== undefined) add(`${base}.ports[${j}].port`, `duplicate port ${key} in ${what} (also ${base}.ports[${first}])`);
    else numbers.set(key, j);
  });
}

/** Fields that only make sense for a workload the harness does not deploy. */
function checkInPlace(w: Suite['workloads'][number], path: string, add: Add): void {
  if (w.existing) {
    if (w.sourcePods === 'all' && !w.source) add(`${path}.sourcePods`, 'has no effect without source: true');
    if (w.image !== undefined) add(`${path}.image`, 'is ignored: an existing workload keeps its own image', 'warning');
    return;
  }
  const fix = 'set existing: true (the harness then finds the workload in the cluster instead of deploying it)';
  if (w.ref !== undefined) add(`${path}.ref`, `only an existing workload is found by reference: ${fix}`);
  if (w.source) add(`${path}.source`, `deployed workloads are always sources; source: true is for existing workloads: ${fix}, or remove it`);
  if (w.witness) add(`${path}.witness`, `the witness is for existing workloads (harness workloads answer every probe): ${fix}, or remove it`);
}

function checkEndpoints(suite: Suite, add: Add): void {
  const declared = new Set<string>();
  suite.namespaces.forEach((ns, i) => {
    if (declared.has(ns.name)) add(`namespaces[${i}].name`, `duplicate namespace "${ns.name}"`);
    declared.add(ns.name);
    if (SYSTEM_NAMESPACES.has(ns.name) && !ns.existing)
      add(`namespaces[${i}].name`, `"${ns.name}" is created by Kubernetes itself and the harness would create and delete it: mark it existing: true (the harness then never creates or deletes it, and restores what it changed there)`);
    if (ns.existing && ns.initially !== undefined)
      add(`namespaces[${i}].initially`, 'an existing namespace is never created or deleted by the harness: remove initially');
    const own = ns.labels[METADATA_NAME];
    if (own !== undefined && own !== ns.name)
      add(`namespaces[${i}].labels`, `label ${METADATA_NAME}="${own}" contradicts the namespace name: the API server always sets it to "${ns.name}"; remove it`);
  });
  const nsList = [...declared];
  const ids = new Map<string, string>();
  const workers = suite.cluster.provider === 'existing' ? undefined : suite.cluster.nodes.workers;
  const checkNode = (node: number | undefined, path: string): void => {
    if (node === undefined || workers === undefined || node < workers) return;
    add(`${path}.node`, workers === 0 ? 'the cluster has no workers (cluster.nodes.workers is 0): remove node' : `is ${node} but the cluster has ${workers} worker${workers === 1 ? '' : 's'} (node counts from 0)`);
  };
  const claim = (ns: string, name: string, path: string): void => {
    const id = `${ns}/${name}`;
    const first = ids.get(id);
    if (first !== undefined) add(`${path}.name`, `duplicate name "${name}" in namespace "${ns}" (also ${first}): workloads and probes of a namespace need distinct names`);
    else ids.set(id, path);
  };
  const existingNs = new Set(suite.namespaces.filter((n) => n.existing).map((n) => n.name));
  const deployedInto = (ns: string, path: string, what: string): void => {
    if (existingNs.has(ns)) add(`${path}.namespace`, `namespace "${ns}" is existing: true, and the harness deploys ${what} only into namespaces it creates (and deletes): declare a fresh namespace for it`);
  };
  suite.workloads.forEach((w, i) => {
    const path = `workloads[${i}]`;
    if (!w.existing) deployedInto(w.namespace, path, 'workloads');
    if (!w.existing && !declared.has(w.namespace))
      add(`${path}.namespace`, `namespace "${w.namespace}" is not declared in namespaces${didYouMean(w.namespace, nsList)}: declare it, or mark the workload existing: true if it already runs in the cluster`);
    if (w.existing && Object.keys(w.labels).length === 0 && w.ref === undefined)
      add(`${path}.labels`, 'an existing workload is found by its pod labels or by ref, so it needs labels (e.g. k8s-app: kube-dns) or a ref (e.g. ref: deployment/coredns)');
    checkInPlace(w, path, add);
    claim(w.namespace, w.name, path);
    checkPorts(w.ports, path, `workload "${w.name}"`, add);
    checkNode(w.node, path);
  });
  suite.probes.forEach((p, i) => {
    const path = `probes[${i}]`;
    deployedInto(p.namespace, path, 'probe pods');
    if (!declared.has(p.namespace)) add(`${path}.namespace`, `namespace "${p.namespace}" is not declared in namespaces${didYouMean(p.namespace, nsList)}: probe pods are deployed, so their namespace must be one the suite creates`);
    claim(p.namespace, p.name, path);
    checkNode(p.node, path);
  });
  const externals = new Map<string, number>();
  suite.externals.forEach((e, i) => {
    const first = externals.get(e.name);
    if (first !== undefined) add(`externals[${i}].name`, `duplicate external "${e.name}" (also externals[${first}])`);
    else externals.set(e.name, i);
    checkPorts(e.ports, `externals[${i}]`, `external "${e.name}"`, add);
    if (e.ports.length === 0 && !e.source) add(`externals[${i}].ports`, `external "${e.name}" has no ports and is not a source: give it ports (a destination) or source: true (a client outside the cluster)`);
    if (e.via !== undefined && !e.source) add(`externals[${i}].via`, `is how an external source addresses workloads, but external "${e.name}" is not a source: set source: true or remove via`);
    if (e.source && suite.cluster.provider === 'existing')
      add(`externals[${i}].source`, `an external source is a container on the cluster nodes' Docker network, which provider existing has none of: run the suite on kind or k3s, or drop source: true`);
  });
  const policyIds = new Map<string, number>();
  suite.policies.forEach((ref, i) => {
    const first = policyIds.get(ref.id);
    if (first !== undefined) add(`policies[${i}].id`, `duplicate policy id "${ref.id}" (also policies[${first}])`);
    else policyIds.set(ref.id, i);
    if (ref.namespace !== undefined && !declared.has(ref.namespace))
      add(`policies[${i}].namespace`, `namespace "${ref.namespace}" is not declared in namespaces${didYouMean(ref.namespace, nsList)}: the harness applies policies only in namespaces the suite declares (one that already exists, such as default, with existing: true)`);
  });
  const dns = new Map<string, number>();
  (suite.probe.dnsNames ?? []).forEach((name, i) => {
    const path = `probe.dnsNames[${i}]`;
    const bare = name.endsWith('.') ? name.slice(0, -1) : name;
    if (name.trim() === '') add(path, 'must not be empty: give a name to resolve, e.g. backend.develop.svc.cluster.local');
    else if (bare.length > 253 || !bare.split('.').every((l) => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/i.test(l)))
      add(path, `"${name}" is not a valid DNS name: dot-separated labels of letters, digits and "-" (e.g. backend.develop.svc.cluster.local)`);
    const first = dns.get(name);
    if (first !== undefined) add(path, `duplicate DNS name "${name}" (also probe.dnsNames[${first}])`);
    else dns.set(name, i);
  });
}

function checkLabelChanges(suite: Suite, add: Add): void {
  const declared = new Set(suite.namespaces.map((n) => n.name));
  const endpoints = new Map<string, { existing: boolean }>();
  for (const w of suite.workloads) endpoints.set(`${w.namespace}/${w.name}`, { existing: w.existing });
  for (const p of suite.probes) endpoints.set(`${p.namespace}/${p.name}`, { existing: false });
  suite.steps.forEach((step, i) => {
    step.labels.forEach((ch, j) => {
      const path = `steps[${i}].labels[${j}]`;
      const [a, b] = ch.target.split('/') as [string, string];
      const both = Object.keys(ch.set).filter((k) => ch.remove.includes(k));
      if (both.length > 0) add(`${path}.remove`, `"${both[0]}" is both set and removed in one change: keep one`);
      if (a === 'namespace') {
        if (!declared.has(b))
          add(`${path}.target`, `namespace "${b}" is not declared in namespaces${didYouMean(b, declared)}: the harness relabels only namespaces the suite declares (one that already exists with existing: true)`);
        if (METADATA_NAME in ch.set || ch.remove.includes(METADATA_NAME))
          add(`${path}.${METADATA_NAME in ch.set ? 'set' : 'remove'}`, `${METADATA_NAME} is set by the API server and cannot be changed`);
        return;
      }
      const ep = endpoints.get(ch.target);
      if (ep === undefined) {
        add(`${path}.target`, `unknown target "${ch.target}"${didYouMean(ch.target, [...endpoints.keys()])}: use "namespace/<name>" or "<namespace>/<workload or probe>"`);
      } else if (ep.existing) {
        add(`${path}.target`, `"${ch.target}" is an existing workload: the harness never changes what it did not deploy`);
      }
    });
  });
}

function checkSteps(suite: Suite, add: Add, objects: PolicyObjects[] = [], docs: LoadedSuite['policies'] = new Map()): void {
  const ids = suite.policies.map((p) => p.id);
  const known = new Set(ids);
  const names = new Map<string, number>();
  let applied: string[] = [];
  suite.steps.forEach((step, i) => {
    const path = `steps[${i}]`;
    const first = names.get(step.name);
    if (first !== undefined) add(`${path}.name`, `duplicate step name "${step.name}" (also steps[${first}])`);
    else names.set(step.name, i);
    const unknown = (id: string): string => `unknown policy id "${id}"${didYouMean(id, ids)}: declare it under policies`;
    const seenRemove = new Set<string>();
    step.remove.forEach((id, j) => {
      const p = `${path}.remove[${j}]`;
      if (!known.has(id)) add(p, unknown(id));
      else if (seenRemove.has(id)) add(p, `"${id}" is listed twice`);
      else if (!applied.includes(id))
        add(p, `"${id}" is not applied at this point (applied: ${applied.length > 0 ? applied.join(', ') : 'none'}): remove only what an earlier step applied`);
      seenRemove.add(id);
    });
    const seenApply = new Set<string>();
    step.apply.forEach((id, j) => {
      const p = `${path}.apply[${j}]`;
      if (!known.has(id)) add(p, unknown(id));
      else if (seenApply.has(id)) add(p, `"${id}" is listed twice`);
      else if (seenRemove.has(id)) add(p, `"${id}" is both removed and applied in this step: keep one`);
      // Re-applying a set takes back, in place, objects a later set replaced (ownership.ts).
      else if (applied.includes(id) && replacedBy(id, objects[i - 1] ?? noPolicyObjects(), docs).length === 0)
        add(p, `"${id}" is already applied (applying it again changes nothing)`, 'warning');
      seenApply.add(id);
    });
    applied = applied.filter((id) => !step.remove.includes(id));
    for (const id of step.apply) if (known.has(id) && !applied.includes(id)) applied.push(id);
  });
}

/** Why a rule whose names all resolve still covers no probed cell, or undefined when it covers some. */
function emptyRuleReason(p: TrafficPattern, axes: Axes): string | undefined {
  const dests = new Map(axes.destinations.map((d) => [d.id, d]));
  const sources = axes.sources.filter((s) => matchesSource(p, s));
  for (const s of sources) for (const c of axes.columns) if (!isSelfCell(s, c) && matchesColumn(p, c, dests)) return undefined;
  if (sources.length === 0) return 'no source matches';
  // A destination whose ports are discovered at run time may well serve them.
  if (axes.destinations.some((d) => d.portsDiscovered && selectsDestination(p, d))) return undefined;
  if (p.to.kind === 'dns') return 'the suite has no DNS checks (probe.dnsNames is empty and no workload is deployed)';
  const reached = axes.columns.filter((c) => c.kind === 'conn' && matchesColumn({ ...p, from: { kind: 'any' } }, c, dests));
  if (reached.length > 0) return 'it only covers a pod talking to itself, which is never probed';
  // The destinations exist but none serves the ports/protocols named.
  const targets = axes.destinations.filter((d) => axes.columns.some((c) => c.kind === 'conn' && c.dst === d.id && matchesColumn({ ...p, ports: undefined, protocols: undefined }, c, dests)));
  const served = [...new Set(targets.flatMap((d) => d.ports.map((x) => `${x.name ? `${x.name}=` : ''}${x.port}/${x.protocol}`)))];
  const wanted = `${p.ports ? p.ports.join(',') : '*'}/${p.protocols ? p.protocols.join(',') : '*'}`;
  return targets.length === 0 ? 'no destination matches' : `no destination serves ${wanted} (served: ${served.join(', ')})`;
}

function checkExpectations(suite: Suite, add: Add): void {
  const axes = buildAxes(suite);
  suite.steps.forEach((step, i) => {
    const here = axesAtStep(suite, i, axes);
    if (step.expect === 'simulated') return;
    step.expect.rules.forEach((rule, j) => {
      const field = 'allow' in rule ? 'allow' : 'deny';
      const text = 'allow' in rule ? rule.allow : rule.deny;
      const path = `steps[${i}].expect.rules[${j}].${field}`;
      let pattern: TrafficPattern;
      try {
        pattern = parsePattern(text);
      } catch (e) {
        if (e instanceof PatternError) {
          add(path, e.message);
          return;
        }
        throw e;
      }
      const problems = unresolvedNames(pattern, axes);
      if (problems.length > 0) {
        add(path, `${problems.join('; ')} in "${text}"`);
        return;
      }
      const why = emptyRuleReason(pattern, axes);
      if (why !== undefined) add(path, `"${text}" matches no cell of the matrix: ${why}`);
      else if (here !== axes && emptyRuleReason(pattern, here) !== undefined)
        add(path, `"${text}" matches no cell of step "${step.name}": what it names is absent at this step (not created yet, or deleted), and absent endpoints are not probed`);
    });
  });
}

/** Every cross-reference problem of a loaded suite, as issues in the suite file. */
export function checkReferences(loaded: LoadedSuite): Issue[] {
  const issues: Issue[] = [];
  const add: Add = (path, message, severity) => {
    const line = loaded.lineOf(path);
    issues.push({ file: loaded.file, path, ...(line !== undefined ? { line } : {}), message, ...(severity ? { severity } : {}) });
  };
  const { suite } = loaded;
  checkCluster(suite, add);
  checkEndpoints(suite, add);
  checkServiceAddresses(suite, add);
  checkSteps(suite, add, policyObjectsAfterEachStep(suite.steps, loaded.policies), loaded.policies);
  checkLabelChanges(suite, add);
  checkDynamics(loaded, add);
  checkExpectations(suite, add);
  return issues;
}
