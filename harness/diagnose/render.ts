// The diagnosis for a terminal: the mapping, the explanation at both ends with the triage, the
// probes from inside the source pod, the comparison, the proposal with its blast radius, the
// verdict line. Pure.
import pc from 'picocolors';
import { cellKey } from './blast.js';
import type { ExposureReport } from './exposure.js';
import { OUTCOME_WORDS } from './probe.js';
import type { DiagnoseReport, FlowReport } from './report.js';
import type { SideVerdict } from './simulate.js';

const WORD: Record<string, string> = { allow: 'ALLOW', deny: 'DENY', unknown: 'UNKNOWN', mixed: 'MIXED', error: 'ERROR', 'not-probed': 'NOT PROBED' };
const SUSPECT: Record<string, string> = {
  cni: 'the CNI (enforcement)',
  dns: 'DNS itself',
  endpoints: 'the endpoints (nothing listening, not Ready)',
  'unmodelled-policy': 'a policy the engine cannot read',
  'cluster-fault': 'a cluster fault (not a verdict)',
};

function sideLine(s: SideVerdict): string[] {
  const head = `${s.direction} of ${s.subject}: ${WORD[s.verdict]}`;
  if (s.reason === 'not-isolated' || s.reason === 'not-subject') return [`${head} (not isolated for ${s.direction})`];
  if (s.verdict === 'allow') return [`${head}, allowed by ${s.allowedBy.join('; ')}`, ...(s.isolatedBy.length ? [`  isolated by ${s.isolatedBy.join(', ')}`] : [])];
  return [`${head}: isolated by ${s.isolatedBy.join(', ')}; no ${s.direction} rule allows it`, ...s.misses.map((m) => `  closest miss: ${m}`)];
}

export function renderFlow(r: FlowReport, opts: { color?: boolean } = {}): string {
  const c = opts.color ? pc : { bold: (s: string) => s, red: (s: string) => s, green: (s: string) => s, yellow: (s: string) => s, dim: (s: string) => s };
  const out: string[] = [];
  const m = r.mapping;
  const t = m.target;
  out.push(c.bold(`diagnose ${m.source.pod} -> ${t.input}  (context ${r.context}, CNI profile ${r.profile})`));
  out.push('', c.bold('map'));
  out.push(`  source  ${m.source.pod} (${m.source.via}), IP ${m.source.ip}${m.source.node ? ` on ${m.source.node}` : ''}`);
  out.push(`          labels ${Object.entries(m.source.labels).map(([k, v]) => `${k}=${v}`).join(', ') || 'none'}`);
  if (t.service) {
    out.push(`  target  Service ${t.service.id}${t.dnsName ? ` (${t.dnsName})` : ''}, ${t.service.headless ? 'headless' : `ClusterIP ${t.service.clusterIP ?? '-'}`}`);
    out.push(`          port ${t.port}/${t.protocol}${t.service.portName ? ` "${t.service.portName}"` : ''} -> targetPort ${typeof t.service.targetPort === 'string' ? `"${t.service.targetPort}" (named)` : t.service.targetPort}`);
  } else out.push(`  target  ${t.kind === 'pod' ? 'pod' : 'address'} ${t.backends[0]?.pod ?? t.input}, port ${t.port}/${t.protocol}`);
  for (const b of t.backends) out.push(`          ${b.ready ? 'Ready    ' : 'not Ready'} ${b.pod}${b.ip ? ` ${b.ip}` : ''}${b.port !== undefined ? `:${b.port}` : ''}${b.problem ? c.yellow(`  ${b.problem}`) : ''}`);
  for (const p of t.problems) out.push(c.yellow(`  ! ${p}`));
  out.push('', c.bold(`explain (the live policies, simulated): ${WORD[r.simulation.verdict]}`));
  for (const b of r.simulation.backends) {
    out.push(`  ${m.source.pod} -> ${b.pod}:${b.port}/${t.protocol}: ${WORD[b.verdict]}`);
    for (const s of [b.egress, b.ingress]) if (s) out.push(...sideLine(s).map((l) => `    ${l}`));
  }
  if (r.simulation.dns) out.push(`  name resolution from ${m.source.pod}: UDP 53 ${WORD[r.simulation.dns.udp]}, TCP 53 ${WORD[r.simulation.dns.tcp]} (CoreDNS ${r.simulation.dns.servers.join(', ')})`);
  if (r.triage.length) {
    out.push('', c.bold('triage'));
    for (const l of r.triage) out.push(`  - ${l}`);
  }
  out.push('', c.bold('probe (from inside the source pod)'));
  if (r.probe.ran) {
    out.push(c.dim(`  in ${r.probe.from ?? m.source.pod}`));
    for (const l of r.probe.lines ?? []) out.push(`  ${l.what.padEnd(64)} ${l.outcome === 'connected' ? c.green(l.outcome) : c.red(l.outcome)}${l.witnessed ? ' (witnessed)' : ''}${l.detail ? c.dim(`  ${l.detail}`) : ''}`);
    for (const o of new Set((r.probe.lines ?? []).map((l) => l.outcome).filter((o) => o !== 'connected'))) out.push(c.dim(`  ${o}: ${OUTCOME_WORDS[o]}`));
  } else {
    out.push(`  not probed: ${r.probe.skipped ?? ''}`);
    for (const n of r.probe.needs ?? []) out.push(`    needs ${n}`);
  }
  out.push('', c.bold('compare'));
  const cmp = r.comparison;
  if (cmp.observed === 'not-probed') out.push(`  simulated ${WORD[r.simulation.verdict]}; nothing observed`);
  else {
    out.push(`  observed ${WORD[cmp.observed]}${cmp.cause ? ` (${cmp.cause})` : ''}, simulated ${WORD[r.simulation.verdict]}`);
    for (const f of cmp.findings) if (!f.agree || f.why) out.push(`  ${f.agree ? '=' : c.yellow('≠')} ${f.why ?? `${f.id}: simulated ${f.simulated}, observed ${f.observed}`}`);
    if (cmp.suspects.length) out.push(c.yellow(`  suspect: ${cmp.suspects.map((s) => SUSPECT[s] ?? s).join('; ')}`));
    else out.push('  observed and simulated agree');
  }
  if (r.proposal) {
    const p = r.proposal;
    out.push('', c.bold(`proposal (--want ${p.want}): least privilege`));
    for (const l of p.rationale) out.push(`  - ${l}`);
    out.push('', ...p.yaml.trimEnd().split('\n').map((l) => `    ${l}`), '');
    out.push(`  lint: ${p.lint.length === 0 ? 'clean' : ''}`);
    for (const f of p.lint) out.push(`    ${f.severity} ${f.rule} ${f.policy} ${f.path}: ${f.message}`);
    const b = p.blastRadius;
    out.push(`  blast radius (engine, ${b.judged} cells judged): ${b.others.length === 0 ? `nothing else ${p.want === 'allow' ? 'opens' : 'closes'}` : `${b.others.length} other cell(s) ${p.want === 'allow' ? 'open' : 'close'}`}`);
    for (const x of b.others.slice(0, 20)) out.push(`    ${cellKey(x)}${b.otherNamespaces.includes(x) ? c.yellow('  (another namespace)') : ''}`);
    if (b.others.length > 20) out.push(`    ... ${b.others.length - 20} more (-o json lists all)`);
    if (b.otherNamespaces.length) out.push(c.yellow(`  note: ${b.otherNamespaces.length} of them involve a pod in another namespace`));
  } else if (r.proposalNote) out.push('', `proposal: ${r.proposalNote}`);
  if (r.rehearsal) {
    const h = r.rehearsal;
    out.push('', c.bold('rehearsal (applied, re-probed, restored)'));
    out.push(`  suite ${h.suiteDir}${h.rollbackFile ? `; rollback.yaml ${h.rollbackFile}` : ''}`);
    out.push(`  ${h.summary}`);
    if (h.flowObserved) out.push(`  the flow with the proposal: ${h.flowObserved}`);
    for (const [k, v] of Object.entries(h.blastObserved)) out.push(`    ${k}: ${v}`);
    out.push(`  restored: ${h.restored ? 'yes, exactly' : c.red('NO: apply rollback.yaml')}`);
  }
  if (r.suiteDir) out.push('', `suite written to ${r.suiteDir}`);
  for (const n of r.notes) out.push(c.dim(`note: ${n}`));
  out.push('', verdictLine(r));
  out.push(c.dim(`(${(r.timings.totalMs / 1000).toFixed(2)} s: reading ${(r.timings.readMs / 1000).toFixed(2)} s${r.timings.probeMs !== undefined ? `, probing ${(r.timings.probeMs / 1000).toFixed(2)} s` : ''})`));
  return out.join('\n');
}

export function verdictLine(r: FlowReport): string {
  const v = r.verdict;
  const base = `verdict: ${v.judgedBy} ${WORD[v.judgedBy === 'observed' ? v.observed : v.simulated]}`;
  if (!r.want) return base;
  if (v.met === undefined) return `${base}; wanted ${WORD[r.want]}: undetermined (exit 2)`;
  return `${base}; wanted ${WORD[r.want]}: ${v.met ? 'met (exit 0)' : 'NOT met (exit 1)'}`;
}

export function renderExposure(r: ExposureReport): string {
  const out: string[] = [];
  out.push(`exposure: ${r.direction === 'to' ? `who reaches ${r.pod}` : `what ${r.pod} reaches`} (context ${r.context}, CNI profile ${r.profile})`);
  out.push(`${r.allowed} of ${r.classes.length} class(es) allowed by the live policies; ${r.probed} probed in place (one pod per class)`);
  out.push('');
  const rows = r.classes.map((k) => [
    r.direction === 'to' ? `${k.sample}${k.members.length > 1 ? ` (+${k.members.length - 1})` : ''}` : `${k.sample}${k.members.length > 1 ? ` (+${k.members.length - 1})` : ''}:${k.port}/${k.protocol}`,
    WORD[k.simulated] ?? k.simulated,
    k.observed ?? '-',
    k.agree === false ? '≠' : '',
    k.allowedBy.join('; ') || k.why,
  ]);
  const w = [0, 1, 2, 3].map((i) => Math.max(...rows.map((x) => x[i]!.length), ['class (sample)', 'simulated', 'observed', ''][i]!.length));
  out.push(`${'class (sample)'.padEnd(w[0]!)}  ${'simulated'.padEnd(w[1]!)}  ${'observed'.padEnd(w[2]!)}  ${''.padEnd(w[3]!)}  why`);
  for (const x of rows) out.push(`${x[0]!.padEnd(w[0]!)}  ${x[1]!.padEnd(w[1]!)}  ${x[2]!.padEnd(w[2]!)}  ${x[3]!.padEnd(w[3]!)}  ${x[4]}`);
  if (!r.probe.ran) {
    out.push('', `not probed: ${r.probe.skipped ?? ''}`);
    for (const n of r.probe.needs ?? []) out.push(`  needs ${n}`);
  }
  for (const n of r.notes) out.push(`note: ${n}`);
  if (r.want) out.push('', `wanted ${WORD[r.want]} for every other class: ${r.wantMet ? 'met (exit 0)' : 'NOT met (exit 1)'}`);
  out.push(`(${(r.timings.totalMs / 1000).toFixed(2)} s)`);
  return out.join('\n');
}

export function render(r: DiagnoseReport, opts: { color?: boolean } = {}): string {
  return r.kind === 'flow' ? renderFlow(r, opts) : renderExposure(r);
}
