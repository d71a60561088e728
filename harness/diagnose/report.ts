// The diagnosis as data: what `-o json` prints (schema/diagnose.schema.json, from report-schema.ts)
// and what the text renderer reads. Exit codes follow from it (exitCodeOf).
import { EXIT } from '../errors.js';
import type { Finding as LintFinding } from '../policy/lint/index.js';
import type { Cell } from './blast.js';
import type { Comparison } from './compare.js';
import type { ExposureReport } from './exposure.js';
import type { FlowMapping } from './mapping.js';
import type { ProbeLine } from './probe.js';
import type { FlowSimulation } from './simulate.js';

export const DIAGNOSE_SCHEMA_VERSION = 1;

export interface ProbeSection {
  ran: boolean;
  /** The pod and container the probes ran in. */
  from?: string;
  lines?: ProbeLine[];
  /** Why probing did not run (view-only user, --no-probe, a cluster without ephemeral containers). */
  skipped?: string;
  /** What probing needs that this user lacks, one permission a line. */
  needs?: string[];
}

export interface ProposalSection {
  want: 'allow' | 'deny';
  yaml: string;
  policies: { namespace: string; name: string; replaces: boolean }[];
  rationale: string[];
  lint: LintFinding[];
  blastRadius: { wanted: Cell[]; others: Cell[]; otherNamespaces: Cell[]; judged: number };
}

export interface RehearsalSection {
  suiteDir: string;
  rollbackFile?: string;
  exitCode: number;
  /** The flow re-probed with the proposal applied. */
  flowObserved?: string;
  /** Blast-radius cells as observed with the proposal applied (cell -> observed class). */
  blastObserved: Record<string, string>;
  restored: boolean;
  summary: string;
}

export interface FlowReport {
  schemaVersion: number;
  kind: 'flow';
  context: string;
  profile: string;
  mapping: FlowMapping;
  simulation: FlowSimulation;
  triage: string[];
  probe: ProbeSection;
  comparison: Comparison;
  want?: 'allow' | 'deny';
  verdict: { simulated: string; observed: string; judgedBy: 'observed' | 'simulated'; met?: boolean };
  proposal?: ProposalSection;
  /** --want allow on an allowed flow, --want deny on a denied one, or no proposal possible: why. */
  proposalNote?: string;
  rehearsal?: RehearsalSection;
  suiteDir?: string;
  notes: string[];
  timings: { readMs: number; probeMs?: number; totalMs: number };
}

export type DiagnoseReport = FlowReport | ExposureReport;

/** 0: what --want asks (or no --want); 1: not; 2: undetermined (a fault, not a verdict). */
export function exitCodeOf(r: DiagnoseReport): number {
  if (r.kind === 'exposure') return r.wantMet === false ? EXIT.mismatch : EXIT.ok;
  if (r.rehearsal && r.rehearsal.exitCode !== 0) return r.rehearsal.exitCode === 1 ? EXIT.mismatch : EXIT.error;
  if (!r.want) return EXIT.ok;
  if (r.verdict.met === undefined) return EXIT.error;
  return r.verdict.met ? EXIT.ok : EXIT.mismatch;
}
