// conformance.json as a zod schema (the way results.json has harness/report/artifact-schema.ts):
// readers validate with it, scripts/write-schema.mjs writes schema/conformance.schema.json from it,
// and docs/report-schema.md documents the fields. Objects are not strict: a newer writer may add
// fields within schemaVersion 1.
import { z } from 'zod';
import { InputError } from '../errors.js';
import { readInputFile } from '../input-file.js';
import { parseVersioned } from '../report/artifact-schema.js';
import type { ChangeKind } from './cases.js';
import { FEATURE_NAMES } from './features.js';
import type { ConformanceReport } from './verdict.js';

export const CONFORMANCE_SCHEMA_VERSION = 1;

const CHANGE_KINDS = ['policy-create', 'policy-update', 'policy-delete', 'pod-label', 'ns-label', 'pod-recreate', 'pod-join', 'pod-leave'] as const satisfies readonly ChangeKind[];
// Every ChangeKind is listed (fails to compile when cases.ts adds one).
const _allKinds = (k: ChangeKind): (typeof CHANGE_KINDS)[number] => k;
void _allKinds;

const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const Status = z.enum(['conforms', 'deviates', 'implementation-defined', 'not testable']);
const Feature = z.enum(FEATURE_NAMES as [string, ...string[]]);
const ObservedClass = z.enum(['connected', 'refused', 'timeout', 'dns-failure', 'error', 'unsupported']);

export const DeviationSchema = z.object({
  step: z.string().min(1),
  src: z.string().min(1),
  col: z.string().min(1),
  expected: z.enum(['allow', 'deny']),
  observed: ObservedClass,
  predicted: z.literal(true).optional(),
});

/** A cell the spec leaves to the implementation: what was observed and what it means (verdict.ts). */
export const ImplementationObservationSchema = z.object({
  cell: z.string().min(1),
  typical: z.enum(['allow', 'deny']),
  observed: z.enum(['allow', 'deny', 'mixed', 'undetermined']),
  reading: z.string().min(1),
  classes: z.array(ObservedClass),
  note: z.string(),
  refs: z.array(z.string()),
});

export const CaseVerdictSchema = z.object({
  id: z.string().min(1),
  title: z.string(),
  spec: z.array(z.string().regex(/^[NA]\d\d$/, 'must be a spec catalogue id such as N19 (NetworkPolicy) or A01 (admin tiers)')),
  features: z.array(Feature),
  status: Status,
  deviations: z.array(DeviationSchema),
  unjudged: count,
  engineDisagreements: z.array(z.string()),
  asProfilePredicts: z.literal(true).optional(),
  /** JSON has no undefined: a step that never matched is written as null. */
  timeToEnforceMs: z.array(ms.nullable().optional()),
  notTestableReason: z.string().optional(),
  implementationDefined: z.array(ImplementationObservationSchema).optional(),
  /** Re-run alone after deviating in its round: runs, outcome, cells that deviated in the round. */
  confirmation: z.object({ runs: count, outcome: z.enum(['reproduced', 'cleared', 'undetermined']), roundDeviations: count }).optional(),
  slowToEnforce: z.literal(true).optional(),
});

export const FeatureRowSchema = z.object({
  feature: Feature,
  title: z.string(),
  status: Status,
  cases: z.object({ conforms: count, deviates: count, notTestable: count, implementationDefined: count.optional() }),
  deviating: z.array(z.string()),
  note: z.string().optional(),
  observed: z.array(z.string()).optional(),
  slow: z.array(z.string()).optional(),
});

const DenyStyleSchema = z.object({ style: z.enum(['drop', 'reject', 'mixed', 'unknown']), refused: count, timeout: count });

export const TimingSchema = z.object({
  change: z.enum(CHANGE_KINDS),
  steps: count,
  never: count,
  p50Ms: ms.optional(),
  p95Ms: ms.optional(),
  maxMs: ms.optional(),
});

export const ConformanceReportSchema = z.object({
  schemaVersion: z.literal(CONFORMANCE_SCHEMA_VERSION),
  cni: z.string().min(1),
  cniVersion: z.string().optional(),
  dataplane: z.string().optional(),
  cniEvidence: z.string().optional(),
  engineProfile: z.object({ name: z.string().min(1), source: z.enum(['flag', 'suite', 'cni', 'unknown']) }).optional(),
  provider: z.string().optional(),
  durationMs: ms.optional(),
  cases: z.array(CaseVerdictSchema),
  features: z.array(FeatureRowSchema),
  denyStyle: z.object({ ingress: DenyStyleSchema, egress: DenyStyleSchema }),
  timing: z.array(TimingSchema),
  profile: z.object({
    /** The engine profile switches the battery observed (harness/policy/profiles.ts names them). */
    observed: z.record(z.string(), z.union([z.boolean(), z.string()])),
    matching: z.array(z.string()),
    suggested: z.string().optional(),
    note: z.string(),
  }),
  notEnforcing: z.string().optional(),
  confirmation: z
    .object({ settleMs: ms.optional(), cases: count, runs: count, cleared: z.array(z.string()), reproduced: z.array(z.string()), undetermined: z.array(z.string()) })
    .optional(),
});

export type ConformanceJson = z.input<typeof ConformanceReportSchema>;

// What the verdict code writes must be describable by the schema: this fails to compile if they drift.
const _reportFits = (r: ConformanceReport): ConformanceJson => r;
void _reportFits;

/** Validates parsed JSON as a conformance report; throws InputError naming the file and each bad field. */
export function parseConformance(value: unknown, file: string): z.output<typeof ConformanceReportSchema> {
  return parseVersioned({ schema: ConformanceReportSchema, version: CONFORMANCE_SCHEMA_VERSION, what: 'conformance report' }, value, file);
}

/** Reads and validates a conformance.json file. */
export async function readConformance(file: string): Promise<z.output<typeof ConformanceReportSchema>> {
  const r = await readInputFile(file);
  if (!('text' in r)) throw new InputError([{ file, path: '(file)', message: r.why }]);
  const text = r.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError([{ file, path: '(document)', message: `is not JSON: ${(e as Error).message}` }]);
  }
  return parseConformance(value, file);
}
