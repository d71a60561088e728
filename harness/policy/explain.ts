// Turns an evaluation into words: a one-line summary and detail lines naming the isolating
// policies, the allowing rule (policy, rule, peer, port index) or the closest misses.
import type { Explanation } from '../diff/result.js';
import type { DirectionResult, EvalResult } from './evaluate.js';

interface Subject {
  from: string;
  to: string;
  port?: number;
  protocol: string;
  profile: string;
}

const traffic = (s: Subject): string => `${s.from} -> ${s.to}${s.port !== undefined ? `:${s.port}` : ''}/${s.protocol}`;

function sideLines(d: DirectionResult): string[] {
  const head = `${d.direction} of ${d.subject}`;
  const out: string[] = [];
  switch (d.reason) {
    case 'not-subject':
    case 'not-isolated':
      out.push(`${head}: ${d.note ?? 'not isolated'}`);
      break;
    case 'exception':
      out.push(`${head}: isolated by ${d.isolatedBy.join(', ')}; ${d.note ?? ''}`);
      break;
    case 'rule':
      out.push(`${head}: isolated by ${d.isolatedBy.join(', ')}`);
      for (const a of d.allowedBy) out.push(`  allowed by ${a.ref}${a.line !== undefined ? ` (${a.file}:${a.line})` : ''}: ${a.why}`);
      break;
    case 'no-rule':
      out.push(`${head}: isolated by ${d.isolatedBy.join(', ')}; no ${d.direction} rule allows this traffic`);
      if (d.note) out.push(`  ${d.note}`);
      for (const m of d.misses) out.push(`  closest miss${m.line !== undefined ? ` (${m.file}:${m.line})` : ''}: ${m.text}`);
      for (const o of d.orderDependent ?? []) out.push(`  but: ${o}`);
      break;
    case 'tier': {
      const m = d.decidedBy!;
      out.push(`${head}: decided by the ${m.tier} tier: ${m.action} by ${m.ref}${m.line !== undefined ? ` (${m.file}:${m.line})` : ''}, priority ${m.priority}: ${m.why}`);
      if (d.note) out.push(`  ${d.note}`);
      for (const m of d.misses) out.push(`  closest miss${m.line !== undefined ? ` (${m.file}:${m.line})` : ''}: ${m.text}`);
      break;
    }
  }
  if (d.tier !== undefined && d.reason !== 'tier') {
    for (const p of d.passedBy ?? []) out.push(`  ${p.tier} tier Pass by ${p.ref}${p.line !== undefined ? ` (${p.file}:${p.line})` : ''}: ${p.why}`);
    out.push(`  tier: ${TIER_WORDS[d.tier]}`);
  }
  return out;
}

const TIER_WORDS: Record<NonNullable<DirectionResult['tier']>, string> = {
  Admin: 'Admin',
  NetworkPolicy: 'NetworkPolicy (no Admin rule decided)',
  Baseline: 'Baseline',
  default: 'default allow (no tier decided)',
};

function sideSummary(d: DirectionResult): string {
  switch (d.reason) {
    case 'not-subject':
      return `${d.direction} not subject to policy`;
    case 'not-isolated':
      return `${d.direction} of ${d.subject} not isolated`;
    case 'exception':
      return `${d.direction} allowed by exception`;
    case 'rule':
      return `${d.direction} allowed by ${d.allowedBy[0]!.ref}${d.allowedBy.length > 1 ? ` (+${d.allowedBy.length - 1} more)` : ''}`;
    case 'no-rule':
      return `${d.subject} is isolated for ${d.direction} by ${d.isolatedBy.join(', ')} and no ${d.direction} rule allows it`;
    case 'tier':
      return `${d.direction} ${d.decidedBy!.action === 'Accept' ? 'accepted' : 'denied'} at the ${d.decidedBy!.tier} tier by ${d.decidedBy!.ref}`;
  }
}

export function explain(r: EvalResult, s: Subject): Explanation {
  const details: string[] = [];
  let summary: string;
  const sides = (): void => {
    if (r.egress) details.push(...sideLines(r.egress));
    if (r.ingress) details.push(...sideLines(r.ingress));
  };
  switch (r.special) {
    case 'self':
      summary = `allowed: a pod cannot block traffic to itself (${s.from})`;
      break;
    case 'hairpin':
      summary = `allowed: under CNI profile ${s.profile}, ${s.from} reaching itself through a Service is not subject to policy (hairpin)`;
      break;
    case 'icmp':
      summary = 'undefined: NetworkPolicy does not define ICMP behaviour (only TCP, UDP and SCTP); not asserted';
      break;
    case 'no-port':
      summary = 'undefined: a connection needs a destination port';
      break;
    case 'existing':
      summary = 'undefined: whether a policy change affects an established connection is implementation-defined; only new connections are asserted';
      break;
    case 'reply':
      summary =
        r.verdict === 'allow'
          ? `allowed: replies of the allowed connection ${traffic(s)} are implicitly allowed (policies are stateful)`
          : `${r.verdict === 'deny' ? 'denied' : r.verdict}: the connection ${traffic(s)} itself is ${r.verdict === 'deny' ? 'denied' : r.verdict}, so there is no reply to allow`;
      sides();
      break;
    case 'not-enforced':
      summary = `allowed: CNI profile ${s.profile} does not enforce NetworkPolicy (the policies say ${r.policyVerdict ?? 'allow'})`;
      sides();
      break;
    case 'sctp-unsupported':
      summary = `unknown: CNI profile ${s.profile} does not enforce SCTP policy (the policies say ${r.policyVerdict ?? '?'})`;
      sides();
      break;
    case 'named-port-order':
      summary = `unknown: under CNI profile ${s.profile} a named port may admit ${traffic(s)} or not, depending on the order kube-router lists the pods (the policies say ${r.policyVerdict ?? 'deny'})`;
      sides();
      break;
    case 'service': {
      const b = r.backends ?? [];
      summary =
        b.length === 0
          ? `denied: ${s.to} has no backend serving ${s.port ?? '?'}/${s.protocol}`
          : `${r.verdict === 'allow' ? 'allowed' : r.verdict === 'deny' ? 'denied' : r.verdict}: judged on the backend${b.length > 1 ? 's' : ''} after DNAT: ${b
              .map((x) => `${x.pod}:${x.targetPort ?? '?'} ${x.result.verdict}`)
              .join(', ')}`;
      for (const x of b) {
        details.push(`backend ${x.pod} on target port ${x.targetPort ?? '?'}: ${x.result.explanation.summary}`);
        details.push(...x.result.explanation.details.map((l) => `  ${l}`));
      }
      break;
    }
    case 'nat': {
      const c = r.nat ?? [];
      summary =
        r.verdict === 'unknown'
          ? `implementation-defined: kube-proxy source-NATs ${traffic(s)}, and which source the policy sees decides: ${c.map((x) => `${x.as} ${x.result.verdict}`).join(', ')} (the policies say ${r.policyVerdict ?? '?'} for the first)`
          : `${r.verdict === 'allow' ? 'allowed' : r.verdict === 'deny' ? 'denied' : r.verdict}: kube-proxy source-NATs ${traffic(s)}; judged for every source the backend may see: ${c.map((x) => `${x.as} ${x.result.verdict}`).join(', ')}`;
      for (const x of c) {
        details.push(`as ${x.as} (${x.why}): ${x.result.explanation.summary}`);
        details.push(...x.result.explanation.details.map((l) => `  ${l}`));
      }
      break;
    }
    default: {
      const e = r.egress!;
      const i = r.ingress!;
      if (r.verdict === 'allow') summary = `allowed: ${sideSummary(e)}; ${sideSummary(i)}`;
      else {
        const denied = [e, i].filter((d) => d.verdict === 'deny');
        summary = `denied: ${denied.map(sideSummary).join('; and ')}`;
      }
      sides();
    }
  }
  for (const u of r.uncertain) details.push(`note: ${u}`);
  for (const n of r.notes ?? []) details.push(`note: ${n}`);
  for (const rej of r.rejected) {
    details.push(`ignored ${rej.ref} (${rej.source.file}): the API server rejects it: ${rej.problems.map((p) => `${p.path} ${p.message}`).join('; ')}`);
  }
  return { summary, details };
}

/** The ingress rules with an ipBlock peer that admitted a connection (for an external source: which policies' ipBlocks it matched). */
export function ipBlockMatches(r: EvalResult): { policy: string; ref: string; ipBlock: string }[] {
  return (r.ingress?.allowedBy ?? []).filter((a) => a.ipBlock !== undefined).map((a) => ({ policy: a.policy, ref: a.ref, ipBlock: a.ipBlock! }));
}

/**
 * One line per source the destination's policies judged (the client itself, or each post-NAT
 * source): the ipBlocks that matched it, or that none did.
 */
export function ipBlockLines(r: EvalResult, source: string): string[] {
  if (r.nat) return r.nat.flatMap((c) => ipBlockLines(c.result, c.as));
  if (r.backends) return r.backends.flatMap((b) => ipBlockLines(b.result, source));
  const m = ipBlockMatches(r);
  if (m.length > 0) return m.map((x) => `ipBlock matched: ${source} is in ${x.ipBlock} of ${x.ref}`);
  const isolated = r.ingress?.isolatedBy ?? [];
  return [isolated.length > 0 ? `ipBlock matched: none of ${isolated.join(', ')} admits ${source} by an ipBlock` : `ipBlock matched: none (${r.ingress?.subject ?? 'the destination'} is not isolated for ingress)`];
}
