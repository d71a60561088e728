// The results.json artifact: the RunResult plus what the writer derived (summary, per-cell kinds),
// as a zod schema. Readers (`netpol-harness diff`, CI scripts) validate with it; every field is
// documented in docs/report-schema.md. Objects are not strict: a newer writer may add fields
// within schemaVersion 1, and older readers must keep working.
import { z } from 'zod';
import type { RunResult } from '../diff/result.js';
import { classifyCell, summarizeRun } from '../diff/three-way.js';
import { InputError, type Issue } from '../errors.js';
import { readInputFile } from '../input-file.js';

export const ARTIFACT_SCHEMA_VERSION = 1;

const Verdict = z.enum(['allow', 'deny']);
const ObservedClass = z.enum(['connected', 'refused', 'timeout', 'dns-failure', 'error', 'unsupported']);
const MismatchKind = z.enum(['authoring', 'enforcement', 'failure', 'error']);
const count = z.number().int().nonnegative();
const ms = z.number().nonnegative();
const timestamp = z.string().refine((s) => Number.isFinite(Date.parse(s)), { message: 'must be an ISO 8601 timestamp' });

export const ObservationSchema = z.object({
  class: ObservedClass,
  verdict: Verdict.optional(),
  attempts: count,
  latencyMs: ms.optional(),
  detail: z.string().optional(),
  repro: z.string().optional(),
  path: z.object({ via: z.enum(['service', 'dns', 'pod', 'external', 'nodeport']), address: z.string(), note: z.string().optional() }).optional(),
});

export const CellSchema = z.object({
  src: z.string().min(1),
  col: z.string().min(1),
  expected: Verdict,
  expectedOrigin: z.string().optional(),
  simulated: Verdict.optional(),
  engineUnknown: z.literal(true).optional(),
  explanation: z.object({ summary: z.string(), details: z.array(z.string()) }).optional(),
  observed: ObservationSchema.optional(),
  probed: z.literal(false).optional(),
  enforcedAtMs: ms.optional(),
  /** Written by writeReports; readers recompute with classifyCell. */
  kinds: z.array(MismatchKind).optional(),
});

export const InfraEventSchema = z.object({ at: timestamp, kind: z.string().min(1), subject: z.string(), detail: z.string().optional() });

/** What the cluster did under a step (optional: older artifacts have none). */
export const StepInfrastructureSchema = z.object({
  events: z.array(InfraEventSchema),
  eventsDropped: count.optional(),
  execFailures: z.record(z.string(), count),
  execRetries: count,
  distrusted: count,
  distrustedMs: ms.optional(),
  unsettled: z.object({ cells: count, byClass: z.record(z.string(), count), sample: z.array(z.string()), faults: z.array(z.string()) }).optional(),
});

export const StepSchema = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  startedAt: timestamp.optional(),
  durationMs: ms.optional(),
  timeToEnforceMs: ms.optional(),
  firstProbeMs: ms.optional(),
  attempts: count.optional(),
  phases: z.object({ applyMs: ms, probeMs: ms, confirmMs: ms }).optional(),
  notTestable: z.string().min(1).optional(),
  cells: z.array(CellSchema),
  infrastructure: StepInfrastructureSchema.optional(),
});

const CountsSchema = {
  cells: count,
  correct: count,
  wrong: count,
  authoring: count,
  enforcement: count,
  errors: count,
  warnings: count,
  retried: count,
  attempts: count,
};

export const StepSummarySchema = z.object({
  name: z.string(),
  passed: z.boolean(),
  ...CountsSchema,
  durationMs: ms.optional(),
  timeToEnforceMs: ms.optional(),
  distrustedMs: ms.optional(),
  notTestable: z.string().optional(),
  nothingTested: z.string().optional(),
});

export const RunSummarySchema = z.object({
  suite: z.string(),
  passed: z.boolean(),
  ...CountsSchema,
  steps: z.array(StepSummarySchema),
  failedSteps: z.array(z.string()),
  notTestableSteps: z.array(z.string()).optional(),
  durationMs: ms.optional(),
  slowestEnforcement: z.object({ step: z.string(), ms }).optional(),
  nothingTested: z.string().optional(),
});

export const ArtifactSchema = z.object({
  schemaVersion: z.literal(ARTIFACT_SCHEMA_VERSION),
  suite: z.string().min(1),
  startedAt: timestamp,
  finishedAt: timestamp.optional(),
  cluster: z
    .object({
      provider: z.string(),
      name: z.string().optional(),
      cni: z.string(),
      cniVersion: z.string().optional(),
      cniEvidence: z.string().optional(),
      dataplane: z.string().optional(),
      kubernetesVersion: z.string().optional(),
      nodes: count.optional(),
    })
    .optional(),
  summary: RunSummarySchema.optional(),
  axes: z.object({
    sources: z.array(z.object({ id: z.string().min(1), kind: z.string() })),
    columns: z.array(
      z.object({
        key: z.string().min(1),
        kind: z.enum(['conn', 'dns']),
        dst: z.string().optional(),
        port: z.number().int().min(0).max(65535).optional(),
        portName: z.string().optional(),
        protocol: z.string().optional(),
        name: z.string().optional(),
      }),
    ),
  }),
  steps: z.array(StepSchema),
  phases: z.array(z.object({ name: z.string().min(1), startMs: ms, durationMs: ms, detail: z.string().optional() })).optional(),
  mode: z.enum(['run', 'check']).optional(),
  profile: z.string().optional(),
  profileSource: z.enum(['flag', 'suite', 'cni', 'unknown']).optional(),
});

export type Artifact = z.infer<typeof ArtifactSchema>;

// The artifact must stay a RunResult: this fails to compile if the two drift apart.
const _artifactIsRunResult = (a: Artifact): RunResult => a;
void _artifactIsRunResult;

/** The artifact for a run: the run, its summary up front, and each cell's mismatch kinds. */
export function toArtifact(run: RunResult): Artifact {
  return {
    schemaVersion: run.schemaVersion,
    suite: run.suite,
    startedAt: run.startedAt,
    ...(run.finishedAt !== undefined ? { finishedAt: run.finishedAt } : {}),
    ...(run.cluster !== undefined ? { cluster: run.cluster } : {}),
    summary: summarizeRun(run),
    axes: run.axes,
    steps: run.steps.map((s) => ({ ...s, cells: s.cells.map((c) => ({ ...c, kinds: classifyCell(c) })) })),
    ...(run.phases !== undefined ? { phases: run.phases } : {}),
    ...(run.mode !== undefined ? { mode: run.mode } : {}),
    ...(run.profile !== undefined ? { profile: run.profile } : {}),
    ...(run.profileSource !== undefined ? { profileSource: run.profileSource } : {}),
  };
}

/** `steps[2].cells[5].observed.class` */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Validates parsed JSON as a versioned netpol-harness file (`what`, e.g. "results artifact"). Throws
 * InputError naming the file and each bad field. The version is checked first so a newer file gets one
 * clear message, not fifty.
 */
export function parseVersioned<S extends z.ZodType>(spec: { schema: S; version: number; what: string; hint?: string }, value: unknown, file: string): z.output<S> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError([{ file, path: '(document)', message: `is not a netpol-harness ${spec.what} (expected a JSON object)` }], spec.hint);
  }
  const version = (value as { schemaVersion?: unknown }).schemaVersion;
  if (version !== spec.version) {
    const message = version === undefined ? `is missing: not a netpol-harness ${spec.what}` : `is ${JSON.stringify(version)}; this netpol-harness reads schemaVersion ${spec.version}`;
    throw new InputError([{ file, path: 'schemaVersion', message }], spec.hint);
  }
  const result = spec.schema.safeParse(value);
  if (!result.success) throw new InputError(issuesOf(result.error, file), spec.hint);
  return result.data;
}

/** Validates parsed JSON as a results artifact (parseVersioned), with one cell per source and column in each step. */
export function parseArtifact(value: unknown, file: string): Artifact {
  const artifact = parseVersioned({ schema: ArtifactSchema, version: ARTIFACT_SCHEMA_VERSION, what: 'results artifact', hint: 'write both artifacts with the same major version of netpol-harness' }, value, file);
  const repeated = repeatedCells(artifact, file);
  if (repeated.length > 0) throw new InputError(repeated.slice(0, 20), 'a writer lists each cell once per step: was the file edited or concatenated by hand?');
  return artifact;
}

/** Cells listed twice in a step: diff would match a repeated one twice, or count it as unchanged. */
function repeatedCells(artifact: Artifact, file: string): Issue[] {
  return artifact.steps.flatMap((step, s) => {
    const first = new Map<string, number>();
    return step.cells.flatMap((c, j) => {
      const key = `${c.src}\u0000${c.col}`;
      const i = first.get(key);
      if (i === undefined) first.set(key, j);
      return i === undefined ? [] : [{ file, path: `steps[${s}].cells[${j}]`, message: `repeats cells[${i}] (${c.src} -> ${c.col}) in step "${step.name}": each source and column appears once per step` }];
    });
  });
}

/** A zod error as issues naming the file and each bad field's path (the first 20, then a count). */
export function issuesOf(error: z.ZodError, file: string): Issue[] {
  const issues: Issue[] = error.issues.slice(0, 20).map((i) => ({ file, path: formatPath(i.path) || '(document)', message: i.message }));
  if (error.issues.length > 20) issues.push({ file, path: '', message: `and ${error.issues.length - 20} more problems` });
  return issues;
}

/** Reads and validates a results.json file; every problem is an InputError naming the file. */
export async function readArtifact(file: string): Promise<Artifact> {
  const r = await readInputFile(file);
  if (!('text' in r)) throw new InputError([{ file, path: '', message: r.why }]);
  const text = r.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InputError([{ file, path: '(document)', message: `is not valid JSON: ${(e as Error).message}` }]);
  }
  return parseArtifact(value, file);
}
