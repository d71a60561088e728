// The diagnosis as a suite for CI (`--write-suite DIR`, and what `--rehearse` runs): the flow's
// namespaces as found, the pods involved (the source, the backends, the blast radius) as existing
// workloads referenced by pod, every live policy of those namespaces as step one ("as found"), and
// the proposal as step two, which expects the flow as wanted and every other cell as simulated.
// Pure, except writeSuite.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import type { KObject } from '../cluster/kube-types.js';
import { MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_KEY } from '../cluster/labels.js';
import { exportPolicy } from '../discover/transform.js';
import { SYSTEM_NAMESPACES } from '../cluster/labels.js';
import type { PodModel } from '../policy/model.js';
import { METADATA_NAME } from '../policy/world.js';
import type { Cell } from './blast.js';
import type { FlowMapping } from './mapping.js';
import { stableLabels } from './model.js';
import type { Proposal } from './propose.js';
import { DNS_SELECTOR } from './simulate.js';

export interface DiagnoseSuite {
  suite: Record<string, unknown>;
  /** relative path -> documents */
  files: Map<string, KObject[]>;
  /** Cell patterns of the flow in the suite's terms (`ns/pod -> ns/pod:port/PROTO`). */
  flowCells: string[];
}

const sanitize = (s: string): string => s.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63).replace(/-+$/, '');
const podName = (id: string): string => id.split('/')[1] ?? id;
const nsOf = (id: string): string => id.split('/')[0] ?? '';

export interface SuiteInput {
  mapping: FlowMapping;
  proposal?: Proposal;
  want?: 'allow' | 'deny';
  pods: PodModel[];
  namespaces: KObject[];
  policies: KObject[];
  cni?: string;
  /** Extra cells to include (blast radius). */
  cells?: Cell[];
}

export function diagnoseSuite(inp: SuiteInput): DiagnoseSuite {
  const m = inp.mapping;
  const cells: Cell[] = [...(inp.proposal ? [...inp.proposal.blast.wanted, ...inp.proposal.blast.others] : []), ...(inp.cells ?? [])];
  const sources = new Set([m.source.pod, ...cells.map((c) => c.from)]);
  const ids = new Set([m.source.pod, ...m.target.backends.filter((b) => b.port !== undefined && m.target.kind !== 'address').map((b) => b.pod), ...cells.flatMap((c) => [c.from, c.to])]);
  const byId = new Map(inp.pods.map((p) => [p.id, p]));
  const dns = m.target.dnsName !== undefined;
  const workloads: Record<string, unknown>[] = [];
  for (const id of [...ids].sort()) {
    const p = byId.get(id);
    if (!p || (p.namespace === DNS_SELECTOR.namespace && dns)) continue;
    workloads.push({ name: sanitize(podName(id)), namespace: p.namespace, existing: true, ref: `pod/${podName(id)}`, ...(sources.has(id) ? { source: true } : {}), labels: stableLabels(p.labels), ports: p.ports.map((x) => ({ ...(x.name && x.name.length <= 15 ? { name: x.name } : {}), port: x.port, protocol: x.protocol })) });
  }
  if (dns) workloads.push({ name: 'coredns', namespace: DNS_SELECTOR.namespace, existing: true, labels: { [DNS_SELECTOR.key]: DNS_SELECTOR.value }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }] });
  const nsNames = [...new Set(workloads.map((w) => w.namespace as string))].filter((n) => !SYSTEM_NAMESPACES.includes(n)).sort();
  const namespaces = nsNames.map((name) => {
    const labels = Object.fromEntries(Object.entries(inp.namespaces.find((n) => n.metadata.name === name)?.metadata.labels ?? {}).filter(([k, v]) => k !== METADATA_NAME && k !== RUN_KEY && !(k === MANAGED_BY_KEY && v === MANAGED_BY_VALUE)));
    // They exist: the rehearsal never creates or deletes them, and restores what it changed there (as discover writes them).
    return { name, existing: true, ...(Object.keys(labels).length ? { labels } : {}) };
  });
  const files = new Map<string, KObject[]>();
  const policySets: Record<string, unknown>[] = [];
  for (const ns of nsNames) {
    const docs = inp.policies.filter((p) => p.metadata.namespace === ns).map(exportPolicy);
    if (docs.length === 0) continue;
    const file = `policies/as-found-${ns}.yaml`;
    files.set(file, docs);
    policySets.push({ id: `as-found-${ns}`, file, namespace: ns });
  }
  const wl = (id: string) => `${nsOf(id)}/${sanitize(podName(id))}`;
  const flowCells = m.target.backends.filter((b) => b.port !== undefined && m.target.kind !== 'address').map((b) => `${wl(m.source.pod)} -> ${wl(b.pod)}:${b.port}/${m.target.protocol}`);
  const steps: Record<string, unknown>[] = [{ name: 'as-found', description: 'the live policies of these namespaces, as diagnose found them', apply: policySets.map((p) => p.id), expect: 'simulated' }];
  if (inp.proposal) {
    files.set('policies/proposal.yaml', inp.proposal.policies as unknown as KObject[]);
    policySets.push({ id: 'proposal', file: 'policies/proposal.yaml' });
    const verdict = inp.proposal.want;
    steps.push({
      name: 'proposal',
      description: `the proposed change (--want ${verdict}); the blast radius is every other cell, as simulated`,
      apply: ['proposal'],
      expect: { default: 'simulated', rules: [...flowCells.map((c) => ({ [verdict]: c, reason: `diagnose --want ${verdict}` })), ...(dns && verdict === 'allow' ? [{ allow: `${wl(m.source.pod)} -> dns:${m.target.dnsName}` }] : [])] },
    });
  }
  const suite = {
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: sanitize(`diagnose-${podName(m.source.pod)}`).slice(0, 50), description: `netpol-harness diagnose ${m.source.pod} -> ${m.target.input}${inp.want ? ` --want ${inp.want}` : ''}` },
    cluster: { provider: 'existing', cni: inp.cni === 'kube-router' ? 'kube-router' : 'calico' },
    namespaces,
    workloads,
    policies: policySets,
    probe: { via: 'pod', timeoutMs: 2000, settleMs: 20000, ...(dns ? { dnsNames: [m.target.dnsName] } : {}) },
    steps,
  };
  return { suite, files, flowCells };
}

export async function writeSuite(s: DiagnoseSuite, dir: string): Promise<string[]> {
  await mkdir(path.join(dir, 'policies'), { recursive: true });
  const out = [path.join(dir, 'suite.yaml')];
  await writeFile(out[0]!, `# written by netpol-harness diagnose\n${stringify(s.suite)}`);
  for (const [rel, docs] of s.files) {
    const f = path.join(dir, rel);
    await writeFile(f, docs.map((d) => stringify(d)).join('---\n'));
    out.push(f);
  }
  return out;
}
