// The conformance answer as Markdown: readable in a terminal, pasteable into a README or a PR.
import type { ConformanceReport, Status } from './verdict.js';

const MARK: Record<Status, string> = { conforms: 'conforms', deviates: 'DEVIATES', 'implementation-defined': 'implementation-defined', 'not testable': 'not testable' };
const secs = (ms: number | undefined): string => (ms === undefined ? '-' : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`);

/** The cells the spec leaves open: what this CNI did there, what it means, and whether it is the typical answer. */
function implementationSection(r: ConformanceReport): string[] {
  const seen = r.cases.flatMap((c) => (c.implementationDefined ?? []).map((o) => ({ c, o })));
  if (seen.length === 0) return [];
  const out = ['', 'Implementation-defined (the spec leaves the answer open: reported as observed, never as a deviation):', ''];
  for (const { c, o } of seen) {
    const typical = o.observed === 'allow' || o.observed === 'deny' ? (o.observed === o.typical ? ' (the typical answer)' : ` (atypical: most implementations ${o.typical}; the engine simulates the typical answer)`) : '';
    const classes = o.classes.length > 0 ? ` [${o.classes.join(', ')}]` : '';
    out.push(`- \`${c.id}\` (${c.spec.join(', ')}): ${o.cell}: **${o.observed}**${classes}: ${o.reading}${typical}.`);
  }
  return out;
}

const SOURCE: Record<NonNullable<ConformanceReport['engineProfile']>['source'], string> = {
  flag: 'given with --cni',
  suite: "the suite's cluster.profile",
  cni: 'the CNI\'s own',
  unknown: 'the default: no profile is known for this CNI',
};

/** The engine's simulation against the spec: predicted departures, engine bugs, or (profile unknown) no claim. */
function engineSection(r: ConformanceReport): string[] {
  const out: string[] = [];
  const ep = r.engineProfile;
  if (ep) out.push('', `Simulated with the **${ep.name}** engine profile (${SOURCE[ep.source]}).`);
  const engine = r.cases.flatMap((c) => c.engineDisagreements);
  if (ep?.source === 'unknown') {
    // Without a profile of this CNI the engine's predictions are no statement about it: no "engine bug", no "as predicted".
    if (engine.length > 0) out.push('', `Engine vs spec: ${engine.length} cell(s) where the ${ep.name} profile's simulation differs from the spec; no profile of ${r.cni} was detected or given (--cni), so these say nothing about the engine or the CNI.`);
    return out;
  }
  const predicted = r.cases.filter((c) => c.asProfilePredicts);
  const name = ep?.name ?? r.cni;
  if (predicted.length > 0) {
    out.push('', `Deviates from spec as the ${name} engine profile predicts (implementation-defined or a known plugin behaviour, modelled in harness/policy/profiles.ts): ${predicted.map((c) => c.id).join(', ')}.`);
  }
  const bugs = r.cases.filter((c) => !c.asProfilePredicts).flatMap((c) => c.engineDisagreements);
  if (bugs.length > 0) out.push('', `Engine vs spec: ${bugs.length} cell(s) disagree where the CNI did not deviate as predicted (an engine bug): ${bugs.slice(0, 5).join('; ')}`);
  else if (engine.length > 0) out.push('', `Engine vs spec: ${engine.length} cell(s), all the profile's predicted departures from the spec.`);
  return out;
}

/** Deviations are confirmed before they are reported (confirm.ts): how many needed it, and what it showed. */
function confirmationSection(r: ConformanceReport): string[] {
  const c = r.confirmation;
  if (!c) return [];
  const parts = [
    ...(c.cleared.length > 0 ? [`${c.cleared.length} conformed (slow to enforce: ${c.cleared.join(', ')})`] : []),
    ...(c.reproduced.length > 0 ? [`${c.reproduced.length} deviated again (${c.reproduced.join(', ')})`] : []),
    ...(c.undetermined.length > 0 ? [`${c.undetermined.length} could not be judged (${c.undetermined.join(', ')})`] : []),
  ];
  const settle = c.settleMs !== undefined ? ` with a ${secs(c.settleMs)} settle` : '';
  return ['', `Confirmation: ${c.cases} case(s) deviated in their round and were re-run alone${settle} (${c.runs} confirmation run(s)): ${parts.join('; ')}.`];
}

export function renderConformance(r: ConformanceReport): string {
  const out: string[] = [];
  const cni = `${r.cni}${r.cniVersion ? ` ${r.cniVersion}` : ''}${r.dataplane ? `, ${r.dataplane} dataplane` : ''}`;
  out.push(`## NetworkPolicy conformance: ${cni}${r.provider ? ` (${r.provider})` : ''}`, '');
  if (r.notEnforcing) {
    out.push(`**This CNI does not enforce NetworkPolicy**: ${r.notEnforcing}`, '', 'No case was run.');
    return out.join('\n') + '\n';
  }
  const n = (s: Status) => r.cases.filter((c) => c.status === s).length;
  const packing = r.packing ? ` in ${r.packing.rounds} rounds over ${r.packing.lanes} lane(s) (${r.packing.casesPerRound} cases per round, ${r.packing.steps} steps)` : '';
  const impl = n('implementation-defined') > 0 ? `, ${n('implementation-defined')} implementation-defined` : '';
  out.push(`${r.cases.length} cases${packing}: ${n('conforms')} conform, ${n('deviates')} deviate${impl}, ${n('not testable')} not testable${r.durationMs !== undefined ? `; ${secs(r.durationMs)}` : ''}.`, '');
  out.push('| feature | verdict | cases (ok/dev/n.t.) | deviating cells |', '|---|---|---|---|');
  for (const f of r.features) {
    const cells = [...f.deviating, ...(f.observed ?? []), ...(f.slow ?? []), ...(f.note ? [f.note] : [])].join('; ') || '';
    const impl = f.cases.implementationDefined ? ` + ${f.cases.implementationDefined} impl.-defined` : '';
    out.push(`| ${f.title} (\`${f.feature}\`) | ${MARK[f.status]} | ${f.cases.conforms}/${f.cases.deviates}/${f.cases.notTestable}${impl} | ${cells} |`);
  }
  out.push(...implementationSection(r), ...confirmationSection(r));
  out.push('', `Deny style: ingress **${r.denyStyle.ingress.style}** (${r.denyStyle.ingress.refused} refused, ${r.denyStyle.ingress.timeout} timed out), egress **${r.denyStyle.egress.style}** (${r.denyStyle.egress.refused} refused, ${r.denyStyle.egress.timeout} timed out).`);
  out.push('', `Engine profile: ${r.profile.suggested ? `**${r.profile.suggested}**` : 'none matches'}. ${r.profile.note}.`);
  out.push(...engineSection(r));
  if (r.timing.length > 0) {
    const basis = r.timing.every((t) => t.basis === 'cells') ? 'per cell' : 'per step';
    out.push(
      '',
      `Time to enforce (${basis}: from the end of the change until the ${basis === 'per cell' ? 'cell' : 'whole step'} first showed its expected verdict and kept it; "at 1st probe": already right when first probed, an upper bound):`,
      '',
    );
    out.push('| change | case steps | samples | p50 | p95 | max | at 1st probe | never |', '|---|---|---|---|---|---|---|---|');
    for (const t of r.timing) out.push(`| ${t.change} | ${t.steps} | ${t.samples} ${t.basis} | ${secs(t.p50Ms)} | ${secs(t.p95Ms)} | ${secs(t.maxMs)} | ${t.atFirstProbe ?? '-'} | ${t.never} |`);
  }
  return out.join('\n') + '\n';
}
