// Checks that need the suite: DNS by simulation at every step, selectors and named ports that
// match nothing, ipBlocks that rely on pod IPs, workloads nothing isolates.
import { dnsNames } from '../../matrix/axes.js';
import type { LoadedSuite } from '../../suite/load.js';
import { compilePolicy, isRejected } from '../compile.js';
import { evaluateIn } from '../evaluate.js';
import { ipBlockCoverage, parseCidr } from '../ipblock.js';
import { checkPeer, isolatingPolicies, policySelects } from '../match.js';
import type { CniProfile } from '../profiles.js';
import { resolveNamedPort } from '../ports.js';
import { describeSelector } from '../selectors.js';
import { suiteModel } from '../suite-model.js';
import { DNS_PORT } from '../simulate.js';
import type { SourcedPolicy } from '../types.js';
import { podEndpoint, prepare, type Endpoint, type World } from '../world.js';
import { peerPath, rulePath, type FindingSink } from './context.js';
import { DNS_FIX } from './dns.js';
import { asExpected, SuiteExpectations, type ConsequenceCell } from './expected.js';
import { guardedByClusterPolicy } from '../cnp/match.js';

export interface StepWorld {
  index: number;
  name: string;
  world: World;
  pods: Endpoint[];
  dnsPods: string[];
  /** Sources of the matrix: deployed workloads and probes. */
  sources: Endpoint[];
}

export function stepWorlds(loaded: LoadedSuite, profile: CniProfile): StepWorld[] {
  const sourceIds = new Set([...loaded.suite.workloads.filter((w) => !w.existing), ...loaded.suite.probes].map((e) => `${e.namespace}/${e.name}`));
  return loaded.suite.steps.map((s, index) => {
    const { model, dnsPods } = suiteModel(loaded, index);
    const world = prepare(model, profile);
    const pods = model.pods.map((p) => podEndpoint(world, p));
    return { index, name: s.name, world, pods, dnsPods, sources: pods.filter((p) => sourceIds.has(p.id)) };
  });
}

function checkDns(steps: StepWorld[], sink: FindingSink, expected: SuiteExpectations): void {
  const groups = new Map<string, { steps: string[]; cells: ConsequenceCell[]; expectedAt: Set<string>; pods: Set<string>; policy: SourcedPolicy; path: string; text: string; ingress: boolean }>();
  for (const st of steps) {
    const byRef = new Map(st.world.model.policies.map((p) => [`${p.policy.metadata?.namespace ?? 'default'}/${p.policy.metadata?.name ?? ''}`, p]));
    for (const src of st.sources) {
      const results = st.dnsPods.map((d) => evaluateIn(st.world, { from: src.id, to: d, ...DNS_PORT }));
      if (results.length === 0 || results.some((r) => r.verdict === 'allow')) continue;
      const r = results[0]!;
      const side = r.egress!.verdict === 'deny' ? r.egress! : r.ingress!;
      const miss = side.misses[0];
      const isolating = side.isolatedBy;
      const target = miss ? byRef.get(miss.policy) : byRef.get(isolating[0]!);
      if (!target) continue;
      const path = miss ? `spec.${miss.direction}[${miss.rule}]${miss.peer !== undefined ? `.${miss.direction === 'ingress' ? 'from' : 'to'}[${miss.peer}]` : ''}` : target.policy.spec?.policyTypes ? 'spec.policyTypes' : 'spec.podSelector';
      const key = `${side.direction}|${isolating.join(',')}|${miss?.text ?? ''}`;
      const g = groups.get(key) ?? { steps: [], cells: [], expectedAt: new Set<string>(), pods: new Set<string>(), policy: target, path, text: '', ingress: side.direction === 'ingress' };
      if (!g.steps.includes(st.name)) g.steps.push(st.name);
      g.pods.add(src.id);
      const cell: ConsequenceCell = { step: st.index, src: src.id, col: 'dns', verdict: 'deny' };
      g.cells.push(cell);
      if (expected.ruleFor(cell)) g.expectedAt.add(st.name);
      const dns = st.dnsPods.join(', ');
      g.text =
        side.direction === 'egress'
          ? `are isolated for egress by ${isolating.join(', ')} and cannot reach CoreDNS (${dns}, 53/UDP): name resolution fails ("going dark")${miss ? `; closest miss: ${miss.text}` : ''}`
          : `cannot reach CoreDNS: its ingress is isolated by ${isolating.join(', ')} and admits none of them on 53/UDP${miss ? `; closest miss: ${miss.text}` : ''}`;
      groups.set(key, g);
    }
  }
  for (const g of groups.values()) {
    const pods = [...g.pods];
    const stated = expected.statedBy(g.cells);
    // Steps the suite expects to go dark are named as such when the group also has steps it does not.
    const stepText = g.steps.map((n) => (stated === undefined && g.expectedAt.has(n) ? `${n} (whose expectation says DNS fails)` : n)).join(', ');
    sink.add(
      'NPH001',
      g.policy,
      g.path,
      `at step${g.steps.length > 1 ? 's' : ''} ${stepText}: ${pods.join(', ')} ${g.text}`,
      g.ingress ? 'allow ingress to CoreDNS on 53/UDP and 53/TCP from every namespace that resolves names' : DNS_FIX,
    );
    sink.findings.push(asExpected(sink.findings.pop()!, stated));
  }
}

/**
 * NPH002 (a DNS peer by podSelector alone) is what the suite shows on purpose when, at every step the
 * policy is applied, a rule expects DNS to fail for every pod it isolates for egress. The peer's
 * NPH012 (it matches nothing) is the same mistake seen from the selector: reported once, as NPH002.
 */
function dnsPeerFindings(all: SourcedPolicy[], appliedIn: Map<SourcedPolicy, StepWorld[]>, sink: FindingSink, expected: SuiteExpectations): void {
  const dnsPeers = new Set(sink.findings.filter((f) => f.rule === 'NPH002').map((f) => `${f.file}|${f.path}`));
  sink.findings.splice(0, sink.findings.length, ...sink.findings.filter((f) => f.rule !== 'NPH012' || !dnsPeers.has(`${f.file}|${f.path}`)));
  sink.findings.forEach((f, i) => {
    if (f.rule !== 'NPH002') return;
    const s = all.find((p) => p.file === f.file && f.path.startsWith(sink.prefix(p)) && `${p.policy.metadata?.namespace ?? 'default'}/${p.policy.metadata?.name ?? ''}` === f.policy);
    const c = s && compilePolicy(s);
    if (!s || !c || isRejected(c)) return;
    const cells = (appliedIn.get(s) ?? []).flatMap((st) => st.sources.filter((ep) => c.types.egress && policySelects(c, ep)).map((ep): ConsequenceCell => ({ step: st.index, src: ep.id, col: 'dns', verdict: 'deny' })));
    sink.findings[i] = asExpected(f, expected.statedBy(cells));
  });
}

function checkSelectors(steps: StepWorld[], all: SourcedPolicy[], appliedIn: Map<SourcedPolicy, StepWorld[]>, sink: FindingSink): void {
  for (const s of all) {
    const c = compilePolicy(s);
    if (isRejected(c)) continue;
    const worlds = appliedIn.get(s)?.length ? appliedIn.get(s)! : steps.slice(0, 1);
    const subjects = new Set<string>();
    for (const st of worlds) for (const ep of st.pods) if (policySelects(c, ep)) subjects.add(ep.id);
    if (subjects.size === 0) {
      sink.add('NPH012', s, 'spec.podSelector', `podSelector ${describeSelector(c.podSelector)} selects no pod of the suite in ${c.namespace}: the policy does nothing`, 'fix the selector to match the pods\' labels, or drop the policy');
    }
    for (const r of [...c.ingress, ...c.egress]) {
      const reach = new Set<string>();
      if (r.peers !== 'all') {
        for (const peer of r.peers) {
          if (peer.ipBlock) continue;
          let hit = false;
          for (const st of worlds) {
            for (const ep of st.pods) {
              if (checkPeer(st.world, c, peer, ep).match) {
                hit = true;
                reach.add(ep.id);
              }
            }
          }
          if (!hit) {
            const nsText = peer.namespaceSelector ? `namespaceSelector ${describeSelector(peer.namespaceSelector)}` : `namespace ${c.namespace}`;
            sink.add(
              'NPH012',
              s,
              peerPath(r, peer),
              `${r.direction === 'ingress' ? 'from' : 'to'}[${peer.index}] (${nsText}${peer.podSelector ? `, podSelector ${describeSelector(peer.podSelector)}` : ''}) matches no pod of the suite at any step where the policy is applied`,
              'check the labels against the workloads (and the namespace of a podSelector-only peer: the policy\'s own)',
            );
          }
        }
      }
      // Named ports resolve on the destination: the selected pods for ingress, the peers for egress.
      const dsts = r.direction === 'ingress' ? subjects : r.peers === 'all' ? new Set(worlds.flatMap((w) => w.pods.map((p) => p.id))) : reach;
      const dstPods = worlds.flatMap((w) => w.pods).filter((p) => dsts.has(p.id));
      for (const e of r.ports) {
        if (e.kind !== 'named') continue;
        if (dstPods.some((p) => p.pod && resolveNamedPort(e.name, e.protocol, p.pod.ports) !== undefined)) continue;
        sink.add(
          'NPH013',
          s,
          `${rulePath(r)}.ports[${e.index}]`,
          `named port ${e.name}/${e.protocol} resolves on none of the ${r.direction === 'ingress' ? 'selected' : 'destination'} pods (${[...dsts].join(', ') || 'none'})`,
          'use the container port name exactly as the workload declares it (and its protocol), or the port number',
        );
      }
    }
  }
}

function checkIpBlocks(loaded: LoadedSuite, all: SourcedPolicy[], sink: FindingSink): void {
  const podSubnet = parseCidr(loaded.suite.cluster.podSubnet);
  if (!podSubnet) return;
  for (const s of all) {
    const c = compilePolicy(s);
    if (isRejected(c)) continue;
    for (const r of [...c.ingress, ...c.egress]) {
      if (r.peers === 'all') continue;
      for (const peer of r.peers) {
        const b = peer.ipBlock;
        if (!b || b.cidr.lo === 0n) continue;
        const cov = ipBlockCoverage(b, podSubnet, true);
        if (cov === 'none') continue;
        sink.add(
          'NPH016',
          s,
          `${peerPath(r, peer)}.ipBlock`,
          `ipBlock ${b.text} ${cov === 'all' ? 'covers the whole' : 'overlaps the'} pod subnet ${loaded.suite.cluster.podSubnet}: it relies on pod IPs, which change on every restart and which some CNIs (Cilium) never match`,
          'select pods with podSelector/namespaceSelector; keep ipBlock for addresses outside the cluster',
        );
      }
    }
  }
}

function checkIsolation(loaded: LoadedSuite, steps: StepWorld[], sink: FindingSink, all: SourcedPolicy[]): void {
  if (all.length === 0) return;
  const deployed = loaded.suite.workloads.filter((w) => !w.existing);
  for (const w of deployed) {
    const id = `${w.namespace}/${w.name}`;
    for (const dir of ['ingress', 'egress'] as const) {
      const ever = steps.some((st) => {
        const ep = st.pods.find((p) => p.id === id);
        return ep !== undefined && (isolatingPolicies(st.world, ep, dir).length > 0 || guardedByClusterPolicy(st.world, ep, dir));
      });
      if (ever) continue;
      const line = loaded.lineOf(`workloads[${loaded.suite.workloads.indexOf(w)}]`);
      sink.findings.push({
        rule: 'NPH017',
        severity: 'info',
        file: loaded.file,
        path: `workloads[${loaded.suite.workloads.indexOf(w)}]`,
        ...(line !== undefined ? { line } : {}),
        message: `${id} is never isolated for ${dir}: no policy of the suite selects it with ${dir === 'ingress' ? 'Ingress' : 'Egress'} in policyTypes, so all ${dir} is allowed`,
        fix: `add a default-deny ${dir} policy for ${w.namespace} (podSelector: {}, policyTypes: [${dir === 'ingress' ? 'Ingress' : 'Egress'}]) and explicit allows`,
      });
    }
  }
}

/**
 * Whether the suite's pods resolve names. They do unless the suite says otherwise: no DNS checks
 * (`probe.dnsNames: []`; omitting the field adds one) and no CoreDNS among its workloads.
 */
export function suiteNeedsDns(loaded: LoadedSuite): boolean {
  return dnsNames(loaded.suite).length > 0 || !suiteModel(loaded, 0).implicitDns;
}

export function checkSuite(loaded: LoadedSuite, profile: CniProfile, sink: FindingSink): void {
  const all = [...loaded.policies.values()].flat();
  const steps = stepWorlds(loaded, profile);
  const appliedIn = new Map<SourcedPolicy, StepWorld[]>();
  for (const st of steps) for (const p of st.world.model.policies) appliedIn.set(p, [...(appliedIn.get(p) ?? []), st]);
  const expected = new SuiteExpectations(loaded);
  if (suiteNeedsDns(loaded)) checkDns(steps, sink, expected);
  checkSelectors(steps, all, appliedIn, sink);
  dnsPeerFindings(all, appliedIn, sink, expected);
  checkIpBlocks(loaded, all, sink);
  checkIsolation(loaded, steps, sink, all);
}
