// `diagnose`: one flow (or one pod's exposure) on a live cluster, end to end: read it (read-mostly:
// lists only), map the flow, explain it with the engine at both ends, prove it from inside the
// source pod (an ephemeral container; the only change made, and only when permitted), compare,
// propose the least-privilege change with its blast radius, and optionally rehearse that change
// through the rehearsal machinery (rollback.yaml first, exact restore) or write it as a suite.
import type { KubeConfig } from '@kubernetes/client-node';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiServerEphemeralApi, ensureEphemeral } from '../apply/ephemeral.js';
import { servesEphemeralContainers } from '../apply/access.js';
import { BUNDLED_AGENT_IMAGE } from '../apply/workloads.js';
import { snapshotDiff, snapshotOf } from '../apply/normalize.js';
import { apiServerReviewer, describeNeed, type AccessReviewer } from '../cluster/checks/access.js';
import { connectExistingCluster } from '../cluster/providers/existing.js';
import { silentProgress, type Progress } from '../cluster/progress.js';
import type { KubeClient } from '../cluster/kube-client.js';
import { UsageError } from '../errors.js';
import { profileByName, type CniProfile } from '../policy/profiles.js';
import { prepare } from '../policy/world.js';
import { ApiServerExecutor } from '../probe/exec.js';
import { execWitness } from '../probe/witness.js';
import { ClusterSpec } from '../suite/schema.js';
import { cellKey } from './blast.js';
import { compare } from './compare.js';
import { readLive, type LiveReading } from './live.js';
import { mapFlow } from './mapping.js';
import { clusterModel, guessProfile } from './model.js';
import { planProbes, probeNeeds, runProbes, type ProbeLine } from './probe.js';
import { proposeAllow, proposeDeny, type Proposal } from './propose.js';
import { DIAGNOSE_SCHEMA_VERSION, type DiagnoseReport, type FlowReport, type ProposalSection, type RehearsalSection } from './report.js';
import { simulateFlow } from './simulate.js';
import { diagnoseSuite, writeSuite } from './suite.js';
import { exposure } from './exposure-run.js';

export { exitCodeOf, type DiagnoseReport, type FlowReport } from './report.js';
export { render } from './render.js';

export interface DiagnoseOptions {
  kubeconfig?: string;
  context?: string;
  from?: string;
  to?: string;
  namespace?: string;
  want?: 'allow' | 'deny';
  /** false: map and explain only (no ephemeral container, no exec). */
  probe?: boolean;
  witness?: boolean;
  timeoutMs?: number;
  agentImage?: string;
  profile?: string;
  rehearse?: boolean;
  writeSuite?: string;
  /** Exposure mode: probe no attacker pod (the fresh namespace is not created). */
  noAttacker?: boolean;
  review?: AccessReviewer;
  progress?: Progress;
}

export interface Connected {
  client: KubeClient;
  kubeConfig: KubeConfig;
  context: string;
  kubeconfigPath: string;
}

export async function connect(opts: Pick<DiagnoseOptions, 'kubeconfig' | 'context' | 'progress'>): Promise<Connected> {
  const c = await connectExistingCluster(ClusterSpec.parse({ provider: 'existing' }), { ...(opts.kubeconfig ? { kubeconfig: opts.kubeconfig } : {}), ...(opts.context ? { context: opts.context } : {}), progress: opts.progress ?? silentProgress });
  return { client: c.client, kubeConfig: c.kubeConfig, context: c.context, kubeconfigPath: c.kubeconfigPath };
}

export function profileFor(reading: LiveReading, name?: string): CniProfile {
  if (!name) return guessProfile(reading);
  const p = profileByName(name);
  if (!p) throw new UsageError(`unknown CNI profile "${name}"`);
  return p;
}

/** Which of the probe permissions this user lacks (empty: may probe), and whether the API serves ephemeral containers. */
export async function probeBlockers(c: Connected, review: AccessReviewer, sourceNs: string, witnessNs: string[]): Promise<{ skipped?: string; needs?: string[] }> {
  const needs = probeNeeds(sourceNs, witnessNs);
  const answers = await Promise.all(needs.map((n) => review(n)));
  const missing = needs.filter((_, i) => !answers[i]);
  if (missing.length) return { skipped: `this user may not probe in place (${missing.length} permission(s) missing); the mapping and the explanation above need only read access`, needs: missing.map((n) => `${describeNeed(n)}${n.subresource ? ` (subresource ${n.subresource})` : ''}: ${n.why}`) };
  if (!(await servesEphemeralContainers(c.kubeConfig).catch(() => true))) return { skipped: 'this cluster does not serve pods/ephemeralcontainers (Kubernetes 1.25+)', needs: ['pods/ephemeralcontainers (Kubernetes 1.25 or later)'] };
  return {};
}

export function proposalSection(p: Proposal): ProposalSection {
  return {
    want: p.want,
    yaml: p.yaml,
    policies: p.policies.map((x) => ({ namespace: x.metadata.namespace ?? '', name: x.metadata.name, replaces: p.replaces.includes(`${x.metadata.namespace ?? ''}/${x.metadata.name}`) })),
    rationale: p.rationale,
    lint: p.lint,
    blastRadius: { wanted: p.blast.wanted, others: p.blast.others, otherNamespaces: p.blast.otherNamespaces, judged: p.blast.judged },
  };
}

export async function diagnose(opts: DiagnoseOptions): Promise<DiagnoseReport> {
  if (!opts.from && !opts.to) throw new UsageError('name the flow: --from <pod> --to <target>, or one of them alone for a pod\'s exposure');
  if ((opts.rehearse || opts.writeSuite) && !(opts.from && opts.to)) throw new UsageError('--rehearse and --write-suite need a flow (--from and --to)');
  if (opts.rehearse && !opts.want) throw new UsageError('--rehearse applies the proposal of --want allow|deny: pass --want');
  const t0 = performance.now();
  const progress = opts.progress ?? silentProgress;
  const c = await connect(opts);
  const reading = await readLive(c.client, c.context);
  const readMs = performance.now() - t0;
  const profile = profileFor(reading, opts.profile);
  const ns = opts.namespace ?? 'default';
  if (!(opts.from && opts.to)) return exposure(c, reading, profile, { ...opts, namespace: ns }, { t0, readMs });
  const mapping = mapFlow(reading, opts.from, opts.to, ns);
  const model = clusterModel(reading);
  const world = prepare(model, profile);
  const simulation = simulateFlow(world, mapping);
  const triage = [...new Set([...simulation.backends.flatMap((b) => b.triage), ...(simulation.dns?.triage ?? [])])];
  const notes: string[] = [];
  if (reading.clusterPoliciesNote && reading.clusterPolicies.length === 0 && !/404|not found/i.test(reading.clusterPoliciesNote)) notes.push(reading.clusterPoliciesNote);
  // Probe.
  let lines: ProbeLine[] | undefined;
  let probe: FlowReport['probe'];
  let probeMs: number | undefined;
  if (opts.probe === false) probe = { ran: false, skipped: '--no-probe' };
  else {
    const witnessNs = opts.witness ? [...new Set(mapping.target.backends.map((b) => b.pod.split('/')[0]!))] : [];
    const blockers = await probeBlockers(c, opts.review ?? apiServerReviewer(c.kubeConfig), mapping.source.namespace, witnessNs);
    if (blockers.skipped) probe = { ran: false, ...blockers };
    else {
      const tp = performance.now();
      const timeoutMs = opts.timeoutMs ?? 2000;
      const image = opts.agentImage ?? BUNDLED_AGENT_IMAGE;
      const api = new ApiServerEphemeralApi(c.kubeConfig);
      const dnsSvc = reading.services.find((s) => s.metadata.namespace === 'kube-system' && s.metadata.name === 'kube-dns');
      const plan = planProbes(mapping, { timeoutMs, ...(dnsSvc?.spec?.clusterIP && dnsSvc.spec.clusterIP !== 'None' ? { dnsServiceIP: dnsSvc.spec.clusterIP } : {}) });
      let container = '';
      lines = await runProbes(
        mapping,
        plan,
        {
          exec: new ApiServerExecutor(c.kubeConfig),
          ensure: async (namespace, pod, role) => {
            const r = await ensureEphemeral(api, namespace, pod, role, image, { timeoutMs: 60_000 });
            if (role === 'probe') container = r.container;
            if (!r.reused) progress.info(`added ephemeral container ${r.container} to ${namespace}/${pod} (${role}; it stays, as ephemeral containers cannot be removed, and is reused next time)`);
            return r.container;
          },
          ...(opts.witness ? { startWitness: execWitness(c.kubeConfig) } : {}),
        },
        { witness: opts.witness ?? false, timeoutMs },
      );
      probeMs = performance.now() - tp;
      probe = { ran: true, from: `${mapping.source.pod} (container ${container})`, lines };
    }
  }
  const comparison = compare(mapping, simulation, lines);
  const simWord = simulation.verdict;
  const judgedBy = comparison.observed === 'not-probed' ? 'simulated' : 'observed';
  const judged = judgedBy === 'observed' ? comparison.observed : simWord;
  const met = opts.want === undefined ? undefined : judged === 'allow' || judged === 'deny' ? judged === opts.want : undefined;
  if (judgedBy === 'simulated' && opts.want) notes.push('not probed: --want is judged on the simulated verdict');
  // Propose.
  let proposal: Proposal | undefined;
  let proposalNote: string | undefined;
  if (opts.want) {
    const simAllows = simWord === 'allow';
    if (opts.want === 'allow' && simAllows) proposalNote = comparison.observed === 'deny' ? 'the policies already allow this flow: no policy change can help; see compare for what to suspect' : 'the policies already allow this flow: nothing to propose';
    else if (opts.want === 'deny' && simWord === 'deny') proposalNote = comparison.observed === 'allow' ? 'the policies already deny this flow: no policy change can help; see compare for what to suspect' : 'the policies already deny this flow: nothing to propose';
    else if (mapping.target.problems.length && opts.want === 'allow' && simulation.backends.length === 0) proposalNote = `not a policy problem: ${mapping.target.problems.join('; ')}`;
    else {
      proposal = opts.want === 'allow' ? proposeAllow(world, mapping, simulation) : proposeDeny(world, mapping, simulation);
      if (!proposal) proposalNote = 'no least-privilege change could be derived for this flow (see triage)';
    }
  }
  const report: FlowReport = {
    schemaVersion: DIAGNOSE_SCHEMA_VERSION,
    kind: 'flow',
    context: c.context,
    profile: profile.name,
    mapping,
    simulation,
    triage,
    probe,
    comparison,
    ...(opts.want ? { want: opts.want } : {}),
    verdict: { simulated: simWord, observed: comparison.observed, judgedBy, ...(met !== undefined ? { met } : {}) },
    ...(proposal ? { proposal: proposalSection(proposal) } : {}),
    ...(proposalNote ? { proposalNote } : {}),
    notes,
    timings: { readMs, ...(probeMs !== undefined ? { probeMs } : {}), totalMs: 0 },
  };
  if (opts.writeSuite || opts.rehearse) {
    const s = diagnoseSuite({ mapping, ...(proposal ? { proposal } : {}), ...(opts.want ? { want: opts.want } : {}), pods: model.pods, namespaces: reading.namespaces, policies: reading.policies, cni: profile.name });
    const dir = opts.writeSuite ?? (await mkdtemp(path.join(tmpdir(), 'nph-diagnose-')));
    await writeSuite(s, dir);
    report.suiteDir = dir;
    if (opts.rehearse && proposal) report.rehearsal = await rehearse(c, dir, s.flowCells, proposal, progress);
  }
  report.timings.totalMs = performance.now() - t0;
  return report;
}

/**
 * Applies the proposal through a rehearsal run of the written suite (HarnessSession on the existing
 * cluster: permission checks, rollback.yaml before the first change, the journal's exact restore),
 * then compares a snapshot of the touched namespaces' policies and labels before and after.
 */
async function rehearse(c: Connected, dir: string, flowCells: string[], proposal: Proposal, progress: Progress): Promise<RehearsalSection> {
  const { HarnessSession } = await import('../run/session.js');
  const { summarizeRun } = await import('../report/index.js');
  const namespaces = [...new Set([...proposal.policies.map((p) => p.metadata.namespace ?? ''), ...proposal.blast.wanted.flatMap((x) => [x.from.split('/')[0]!, x.to.split('/')[0]!])])];
  const snap = async () => {
    const [pol, nss] = await Promise.all([c.client.list('networking.k8s.io/v1', 'NetworkPolicy'), c.client.list('v1', 'Namespace')]);
    return snapshotOf(pol.filter((p) => namespaces.includes(p.metadata.namespace ?? '')), nss.filter((n) => namespaces.includes(n.metadata.name ?? '')));
  };
  const before = await snap();
  const session = await HarnessSession.start(path.join(dir, 'suite.yaml'), { cluster: { provider: 'existing' }, kubeconfig: c.kubeconfigPath, context: c.context, allowForeignNamespaces: true, handleSignals: true, rollbackDir: dir, progress });
  let failure: Error | undefined;
  try {
    await session.runAll();
  } catch (e) {
    failure = e instanceof Error ? e : new Error(String(e));
  }
  const cleanup = await session.stop();
  const diff = snapshotDiff(before, await snap());
  const run = session.result;
  const step = run.steps.find((s) => s.name === 'proposal');
  const obs = (src: string, col: string) => step?.cells.find((x) => x.src === src && x.col === col)?.observed;
  const flow = flowCells.map((f) => {
    const [src, col] = f.split(' -> ') as [string, string];
    return `${f}: ${obs(src, col)?.class ?? 'not probed'}`;
  });
  const blastObserved: Record<string, string> = {};
  const wl = (id: string) => `${id.split('/')[0]}/${(id.split('/')[1] ?? '').toLowerCase()}`;
  for (const x of proposal.blast.others) blastObserved[cellKey(x)] = obs(wl(x.from), `${wl(x.to)}:${x.port}/${x.protocol}`)?.class ?? 'not probed';
  if (failure) throw failure;
  const summary = summarizeRun(run);
  const exitCode = cleanup.failed.length > 0 || diff.length > 0 ? 2 : summary.passed ? 0 : summary.wrong === 0 && summary.errors > 0 ? 2 : 1;
  return {
    suiteDir: dir,
    rollbackFile: path.join(dir, 'rollback.yaml'),
    exitCode,
    flowObserved: flow.join('; '),
    blastObserved,
    restored: cleanup.failed.length === 0 && diff.length === 0,
    summary: `rehearsal ${summary.passed ? 'passed' : 'FAILED'}: ${summary.correct} cell(s) as expected, ${summary.wrong} wrong, ${summary.errors} error(s)${diff.length ? `; NOT restored: ${diff.join(', ')}` : ''}`,
  };
}
