// Shared helpers for lint checks: where a finding points (file, path with the multi-document
// prefix, line) and small predicates about rules.
import type { CompiledPeer, CompiledPolicy, CompiledRule } from '../compile.js';
import type { PortEntry } from '../ports.js';
import { requirements } from '../selectors.js';
import type { SourcedPolicy } from '../types.js';
import { RULES, type Finding, type RuleId, type Severity } from './rules.js';

export class FindingSink {
  readonly findings: Finding[] = [];
  private readonly docsPerFile = new Map<string, number>();

  constructor(all: readonly SourcedPolicy[]) {
    for (const s of all) this.docsPerFile.set(s.file, (this.docsPerFile.get(s.file) ?? 0) + 1);
  }

  prefix(s: SourcedPolicy): string {
    return (this.docsPerFile.get(s.file) ?? 1) > 1 ? `[doc ${s.docIndex}] ` : '';
  }

  add(rule: RuleId, s: SourcedPolicy, path: string, message: string, fix: string, severity?: Severity): void {
    const line = (s.keyLineOf ?? s.lineOf)?.(path);
    const ns = s.policy.metadata?.namespace ?? 'default';
    this.findings.push({
      rule,
      severity: severity ?? RULES[rule].severity,
      file: s.file,
      path: this.prefix(s) + path,
      ...(line !== undefined ? { line } : {}),
      policy: `${ns}/${s.policy.metadata?.name ?? ''}`,
      message,
      fix,
    });
  }
}

export const ruleField = (r: CompiledRule): 'from' | 'to' => (r.direction === 'ingress' ? 'from' : 'to');
export const rulePath = (r: CompiledRule): string => `spec.${r.direction}[${r.index}]`;
export const peerPath = (r: CompiledRule, p: CompiledPeer): string => `${rulePath(r)}.${ruleField(r)}[${p.index}]`;

/** Does a ports list open `port/protocol` by number (named ports aside)? */
export function portsOpen(entries: readonly PortEntry[], protocol: string, port: number): boolean {
  return entries.some(
    (e) => e.kind === 'all' || (e.protocol === protocol && (e.kind === 'protocol' || (e.kind === 'range' && port >= e.lo && port <= e.hi))),
  );
}

/** Ports are DNS and nothing else (53 on TCP and/or UDP, or the names CoreDNS uses). */
export function onlyDnsPorts(entries: readonly PortEntry[]): boolean {
  return (
    entries.length > 0 &&
    entries.every((e) => (e.kind === 'range' && e.lo === 53 && e.hi === 53) || (e.kind === 'named' && ['dns', 'dns-tcp'].includes(e.name)))
  );
}

const DNS_LABELS: [string, string][] = [
  ['k8s-app', 'kube-dns'],
  ['k8s-app', 'coredns'],
  ['app.kubernetes.io/name', 'coredns'],
  ['app', 'coredns'],
  ['k8s-app', 'node-local-dns'],
];

/** A peer written to reach DNS: its selectors name CoreDNS labels. */
export function peerLooksLikeDns(peer: CompiledPeer): boolean {
  return requirements(peer.podSelector).some(
    (r) => r.operator === 'In' && DNS_LABELS.some(([k, v]) => r.key === k && (r.values ?? []).includes(v)),
  );
}

export function effectiveRules(p: CompiledPolicy): CompiledRule[] {
  return [...p.ingress, ...p.egress];
}
