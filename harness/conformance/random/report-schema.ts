// random.json (conformance --random) as a zod schema, like conformance.json's (../report-schema.ts):
// readers validate with it and scripts/write-schema.mjs writes schema/conformance-random.schema.json.
// Objects are not strict: a newer writer may add fields within schemaVersion 1.
import { z } from 'zod';
import { parseVersioned } from '../../report/artifact-schema.js';
import type { RandomReport } from './drive.js';

export const RANDOM_SCHEMA_VERSION = 1;

const count = z.number().int().nonnegative();
const ObservedClass = z.enum(['connected', 'refused', 'timeout', 'dns-failure', 'error', 'unsupported']);

export const CellDeviationSchema = z.object({
  src: z.string().min(1),
  col: z.string().min(1),
  /** What the engine simulated under the CNI's profile. */
  simulated: z.enum(['allow', 'deny']),
  /** What the probe saw. */
  observed: ObservedClass,
});

export const SetOutcomeSchema = z.object({
  set: z.string().min(1),
  index: count,
  cells: count,
  deviations: z.array(CellDeviationSchema),
  profileVsUpstream: count,
  shrunk: z
    .object({
      sizeBefore: count,
      sizeAfter: count,
      policiesBefore: count,
      policiesAfter: count,
      tries: count,
      confirmRuns: z.array(z.object({ size: count, reproduced: z.boolean() })),
      confirmed: z.boolean(),
      suiteFile: z.string().min(1),
      repro: z.string().min(1),
    })
    .optional(),
});

export const RandomReportSchema = z.object({
  schemaVersion: z.literal(RANDOM_SCHEMA_VERSION),
  seed: z.number().int().min(0).max(0xffffffff),
  sets: count,
  cni: z.string().min(1),
  profile: z.string().min(1),
  namedPorts: z.boolean(),
  cells: count,
  deviatingSets: count,
  unconfirmedSets: count.optional(),
  outcomes: z.array(SetOutcomeSchema),
  durationMs: z.number().nonnegative(),
});

// What drive.ts writes is what the schema describes (fails to compile when they drift apart).
const _writes = (r: RandomReport): z.input<typeof RandomReportSchema> => r;
void _writes;

/** Validates parsed JSON as a random.json; throws InputError naming the file and each bad field. */
export function parseRandomReport(value: unknown, file: string): z.output<typeof RandomReportSchema> {
  return parseVersioned({ schema: RandomReportSchema, version: RANDOM_SCHEMA_VERSION, what: 'random conformance report' }, value, file);
}
