// The engine's closest misses in the words of an incident triage: "the rule wants app in
// (frontend, frontend-primary); the source pod has app=front-end", "namespaceSelector wants
// kubernetes.io/metadata.name=traefik; the source namespace is traefik-system", a podSelector
// without namespaceSelector, a policy that would allow the flow but does not select the pod, DNS
// allowed on UDP only. Pure: reads the prepared world and the engine's direction results.
import type { CompiledPeer, CompiledPolicy, CompiledRule, Direction } from '../policy/compile.js';
import type { DirectionResult } from '../policy/evaluate.js';
import { checkPeer, checkPorts } from '../policy/match.js';
import type { Protocol } from '../policy/model.js';
import { describeEntries } from '../policy/ports.js';
import { describeRequirement, describeSelector, requirementMatches, requirements, selectorMatches } from '../policy/selectors.js';
import type { LabelSelectorRequirement } from '../policy/types.js';
import { METADATA_NAME, type Endpoint, type World } from '../policy/world.js';

/** Levenshtein distance, capped: enough to call `front-end` a typo of `frontend`. */
export function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return dp[b.length]!;
}

/** A value close to one the selector wants (at most 2 edits, or equal ignoring `-`, `_` and case). */
export function typoOf(actual: string, wanted: readonly string[]): string | undefined {
  const norm = (s: string) => s.toLowerCase().replace(/[-_.]/g, '');
  return wanted.find((w) => w !== actual && (norm(w) === norm(actual) || editDistance(w, actual) <= Math.min(2, Math.floor(w.length / 3))));
}

/** `app=front-end` for one failing requirement, or `no app label`, with a typo hint. */
function hasWords(r: LabelSelectorRequirement, labels: Readonly<Record<string, string>>, what: string): string {
  const v = labels[r.key];
  if (v === undefined) {
    const keys = Object.keys(labels);
    const close = typoOf(r.key, keys) ?? keys.find((k) => typoOf(k, [r.key]));
    return `${what} has no ${r.key} label${close ? ` (it has ${close}=${labels[close]}: a typo of the key?)` : ''}`;
  }
  const typo = r.operator === 'In' ? typoOf(v, r.values ?? []) : undefined;
  return `${what} has ${r.key}=${v}${typo ? ` (a typo of ${typo}?)` : ''}`;
}

function selectorWords(sel: CompiledPeer['podSelector'], labels: Readonly<Record<string, string>>, lead: string, what: string): string[] {
  return requirements(sel)
    .filter((r) => !requirementMatches(r, labels))
    .map((r) => `${lead} wants ${describeRequirement(r)}; ${hasWords(r, labels, what)}`);
}

function ruleOf(p: CompiledPolicy, direction: Direction, index: number): CompiledRule | undefined {
  return p[direction].find((r) => r.index === index);
}

/** The far end's role in words: for ingress the source, for egress the destination. */
const farWord = (d: Direction): string => (d === 'ingress' ? 'source' : 'destination');
const field = (d: Direction): string => (d === 'ingress' ? 'from' : 'to');

/** One peer that did not match `other`, explained. */
export function peerTriage(world: World, p: CompiledPolicy, direction: Direction, rule: CompiledRule, peer: CompiledPeer, other: Endpoint): string[] {
  const ref = `${p.ref} ${direction}[${rule.index}].${field(direction)}[${peer.index}]`;
  const far = farWord(direction);
  if (peer.ipBlock) return [`${ref} is ipBlock ${peer.ipBlock.text}: ${checkPeer(world, p, peer, other).text}`];
  if (!other.asPod) return [`${ref} selects pods, and the ${far} ${other.label} is not a pod`];
  const out: string[] = [];
  const labels = other.pod!.labels;
  const nsLabels = other.nsLabels ?? {};
  if (peer.namespaceSelector) {
    if (!selectorMatches(peer.namespaceSelector, nsLabels)) {
      for (const r of requirements(peer.namespaceSelector).filter((x) => !requirementMatches(x, nsLabels))) {
        if (r.key === METADATA_NAME) out.push(`${ref} namespaceSelector wants ${describeRequirement(r)}; the ${far} namespace is ${other.namespace}`);
        else out.push(`${ref} namespaceSelector wants ${describeRequirement(r)}; ${hasWords(r, nsLabels, `the ${far} namespace ${other.namespace}`)}`);
      }
    }
  } else if (other.namespace !== p.namespace) {
    const podOk = selectorMatches(peer.podSelector, labels);
    out.push(
      `${ref} has a podSelector (${describeSelector(peer.podSelector)}) without namespaceSelector: it selects pods in ${p.namespace} only, and the ${far} ${other.label} is in ${other.namespace}` +
        `${podOk ? ' (its labels would match)' : ''}; add namespaceSelector ${METADATA_NAME}=${other.namespace} to the same peer`,
    );
    return out;
  }
  if (peer.podSelector) out.push(...selectorWords(peer.podSelector, labels, `${ref} podSelector`, `the ${far} pod`));
  return out;
}

/** Triage lines for a denied direction: its closest misses, then policies that would allow but do not select the subject. */
export function directionTriage(world: World, d: DirectionResult, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): string[] {
  if (d.verdict !== 'deny' || d.reason !== 'no-rule') return [];
  const subject = d.direction === 'egress' ? src : dst;
  const other = d.direction === 'egress' ? dst : src;
  const out: string[] = [];
  const byRef = new Map(world.compiled.policies.map((p) => [p.ref, p]));
  const misses = d.misses.map((m) => ({ m, p: byRef.get(m.policy) })).map(({ m, p }) => ({ m, p, rule: p && ruleOf(p, d.direction, m.rule) }));
  const portLines: string[] = [];
  for (const { m, p, rule } of misses) {
    if (!p || !rule) continue;
    // A rule for other ports (a DNS rule, for an 8080 flow) says only that; its peers are beside the point.
    if (!checkPorts(world, rule, protocol, port, dst).match) {
      portLines.push(`${p.ref} ${d.direction}[${rule.index}] opens ${describeEntries(rule.ports)}, not ${port}/${protocol}`);
      continue;
    }
    if (rule.peers !== 'all' && m.peer !== undefined) {
      const peer = rule.peers.find((x) => x.index === m.peer);
      if (peer && !checkPeer(world, p, peer, other).match) out.push(...peerTriage(world, p, d.direction, rule, peer, other));
    }
  }
  const selection = selectionTriage(world, d.direction, subject, other, src, dst, protocol, port);
  out.push(...selection);
  if (out.length === 0) out.push(...portLines);
  return [...new Set(out)];
}

/**
 * Policies in the subject's namespace that have a rule allowing this flow but do not select the
 * subject pod: the label typo on the pod itself ("frontend-egress would allow it, but its
 * podSelector wants app=frontend; the pod has app=front-end").
 */
export function selectionTriage(world: World, direction: Direction, subject: Endpoint, other: Endpoint, src: Endpoint, dst: Endpoint, protocol: Protocol, port: number): string[] {
  if (!subject.asPod) return [];
  const out: string[] = [];
  const role = direction === 'egress' ? 'source' : 'destination';
  for (const p of world.byNamespace.get(subject.namespace!) ?? []) {
    if (!p.types[direction] || selectorMatches(p.podSelector, subject.pod!.labels)) continue;
    const allows = p[direction].some((rule) => checkPorts(world, rule, protocol, port, dst).match && (rule.peers === 'all' || rule.peers.some((peer) => checkPeer(world, p, peer, other).match)));
    if (!allows) continue;
    const why = selectorWords(p.podSelector, subject.pod!.labels, 'its podSelector', `the ${role} pod`).join('; ');
    out.push(`${p.ref} would allow this ${direction} (${src.label} -> ${dst.label}:${port}/${protocol}), but it does not select ${subject.label}: ${why}`);
  }
  return out;
}
