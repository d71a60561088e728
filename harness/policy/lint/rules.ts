// The lint rule table: one id per mistake or least-privilege smell (spec §3.5). docs/engine.md
// renders the same table; the ids are stable, so users can grep and suppress by id.
import { didYouMean, quoteList } from '../../suite/hints.js';

export type Severity = 'error' | 'warning' | 'info';

export interface LintRule {
  id: string;
  name: string;
  severity: Severity;
  /** Needs the suite's workloads (selectors matching nothing, named ports, DNS by simulation). */
  suiteOnly?: boolean;
  summary: string;
}

export const RULES = {
  NPH001: { id: 'NPH001', name: 'dns-going-dark', severity: 'error', summary: 'egress isolation without a DNS allow: pods cannot resolve names ("going dark")' },
  NPH002: { id: 'NPH002', name: 'dns-pod-selector-only', severity: 'error', summary: 'DNS peer selected by podSelector without namespaceSelector: it matches pods in the policy namespace only, never CoreDNS in kube-system' },
  NPH003: { id: 'NPH003', name: 'dns-udp-only', severity: 'warning', summary: 'DNS allowed on UDP 53 only: truncated answers retried over TCP 53 fail' },
  NPH004: { id: 'NPH004', name: 'any-peer', severity: 'warning', summary: '`from`/`to` missing or empty: every peer, including addresses outside the cluster' },
  NPH005: { id: 'NPH005', name: 'all-namespaces', severity: 'warning', summary: '`namespaceSelector: {}`: pods of every namespace (a pod anywhere that copies the labels gets in)' },
  NPH006: { id: 'NPH006', name: 'ipblock-everything', severity: 'warning', summary: 'ipBlock 0.0.0.0/0 or ::/0: every address (on Calico also every pod and node)' },
  NPH007: { id: 'NPH007', name: 'all-ports', severity: 'warning', summary: 'rule without `ports`: every port of every protocol' },
  NPH008: { id: 'NPH008', name: 'wide-port-range', severity: 'warning', summary: 'port range (endPort) wider than 1024 ports' },
  NPH009: { id: 'NPH009', name: 'ignored-rules', severity: 'error', summary: 'rules of a direction missing from policyTypes are ignored' },
  NPH010: { id: 'NPH010', name: 'implied-ingress-deny', severity: 'error', summary: 'egress rules without policyTypes: the API server adds Ingress, so all ingress is denied' },
  NPH011: { id: 'NPH011', name: 'port-without-protocol', severity: 'info', summary: 'port without protocol: it means TCP only' },
  NPH012: { id: 'NPH012', name: 'selector-matches-nothing', severity: 'warning', suiteOnly: true, summary: 'a podSelector or namespaceSelector matches no pod or namespace of the suite at any step' },
  NPH013: { id: 'NPH013', name: 'named-port-unresolved', severity: 'warning', suiteOnly: true, summary: 'a named port resolves on no destination pod the rule can reach' },
  NPH014: { id: 'NPH014', name: 'duplicate-or-shadowed', severity: 'warning', summary: 'a rule or policy that repeats or is contained in another (it adds nothing)' },
  NPH015: { id: 'NPH015', name: 'mutable-namespace-label', severity: 'info', summary: 'namespace selected by a label anyone who can edit namespaces may set; prefer kubernetes.io/metadata.name' },
  NPH016: { id: 'NPH016', name: 'ipblock-pod-ips', severity: 'warning', suiteOnly: true, summary: 'ipBlock overlapping the pod subnet: relies on pod IPs, which are ephemeral and CNI-dependent' },
  NPH017: { id: 'NPH017', name: 'not-isolated', severity: 'info', suiteOnly: true, summary: 'a workload no policy of the suite isolates (for ingress or egress)' },
  NPH018: { id: 'NPH018', name: 'invalid-policy', severity: 'error', summary: 'the API server rejects the policy (or warns about it)' },
  NPH019: { id: 'NPH019', name: 'admin-deny-shadows-allow', severity: 'warning', suiteOnly: true, summary: "an Admin-tier Deny drops traffic a namespace owner's NetworkPolicy allows (the owner's allow can never work)" },
  NPH020: { id: 'NPH020', name: 'admin-accept-overrides-deny', severity: 'warning', suiteOnly: true, summary: 'an Admin-tier Accept opens traffic every NetworkPolicy isolating the pod denies' },
  NPH021: { id: 'NPH021', name: 'baseline-dns-going-dark', severity: 'error', suiteOnly: true, summary: 'a Baseline-tier Deny blocks DNS and nothing allows it: pods cannot resolve names' },
  NPH022: { id: 'NPH022', name: 'pass-to-nothing', severity: 'warning', summary: 'a Pass rule with nothing after it: no later rule, tier or NetworkPolicy decides, so it only means "allowed by default"' },
  NPH023: { id: 'NPH023', name: 'same-priority', severity: 'warning', summary: 'two cluster policies of one tier share a priority and both have rules in a direction: their order is implementation-defined' },
} as const satisfies Record<string, LintRule>;

export type RuleId = keyof typeof RULES;

/**
 * The one way to name a rule where findings are silenced (suite `lint.disable`, a policy file's
 * `lint.disable`, the policy annotation): its id or its name, exactly as lint prints them.
 */
export const RULE_REFS: readonly [string, ...string[]] = [...Object.keys(RULES), ...Object.values(RULES).map((r) => r.name)] as [string, ...string[]];

const BY_REF = new Map<string, RuleId>(Object.values(RULES).flatMap((r) => [[r.id, r.id] as const, [r.name, r.id] as const]));

/** `NPH001` or `dns-going-dark` -> `NPH001`; undefined for anything else (`nph001` included). */
export const ruleRefId = (ref: string): RuleId | undefined => BY_REF.get(ref);

/** Why `ref` names no rule (the suite schema's wording for lint.disable), or undefined when it does. */
export function ruleRefProblem(ref: string): string | undefined {
  if (ruleRefId(ref) !== undefined) return undefined;
  return `must be one of ${quoteList(RULE_REFS)} (found ${JSON.stringify(ref)})${didYouMean(ref, RULE_REFS)}`;
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  file: string;
  /** Field path inside the document, `[doc N] `-prefixed for multi-document files. */
  path: string;
  line?: number;
  /** `namespace/name` of the policy, when the finding is about one. */
  policy?: string;
  message: string;
  fix: string;
  /** The suite states this finding's consequence on purpose (`step default-deny rules[4]`): it is info then. */
  expectedBy?: string;
}
