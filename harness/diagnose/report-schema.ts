// `diagnose -o json` as a zod schema: readers validate with it, scripts/write-schema.mjs writes
// schema/diagnose.schema.json. Objects are not strict: a newer writer may add fields within
// schemaVersion 1.
import { z } from 'zod';

const Cell = z.object({ from: z.string(), to: z.string(), port: z.number().int(), protocol: z.enum(['TCP', 'UDP', 'SCTP']) });
const Verdict = z.enum(['allow', 'deny', 'unknown', 'mixed']);
const Outcome = z.enum(['connected', 'refused', 'dropped', 'dns-failure', 'no-route', 'error', 'unsupported']);
const Side = z.object({ direction: z.enum(['egress', 'ingress']), subject: z.string(), verdict: z.enum(['allow', 'deny']), reason: z.string(), isolatedBy: z.array(z.string()), allowedBy: z.array(z.string()), misses: z.array(z.string()) });
const Explanation = z.object({ summary: z.string(), details: z.array(z.string()) });
const Timings = z.object({ readMs: z.number(), probeMs: z.number().optional(), totalMs: z.number() });
const ProbeSkipped = { skipped: z.string().optional(), needs: z.array(z.string()).optional() };

export const FlowReportSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('flow'),
  context: z.string(),
  profile: z.string(),
  mapping: z.object({
    source: z.object({ pod: z.string(), namespace: z.string(), name: z.string(), ip: z.string(), node: z.string().optional(), labels: z.record(z.string(), z.string()), via: z.string() }),
    target: z.object({
      kind: z.enum(['service', 'pod', 'address']),
      input: z.string(),
      namespace: z.string().optional(),
      dnsName: z.string().optional(),
      service: z.object({ id: z.string(), clusterIP: z.string().optional(), headless: z.boolean(), port: z.number(), portName: z.string().optional(), targetPort: z.union([z.number(), z.string()]), selector: z.record(z.string(), z.string()) }).optional(),
      port: z.number().int(),
      protocol: z.enum(['TCP', 'UDP', 'SCTP']),
      backends: z.array(z.object({ pod: z.string(), ip: z.string().optional(), node: z.string().optional(), ready: z.boolean(), port: z.number().optional(), problem: z.string().optional() })),
      /** Not policy problems: no ready endpoints, a port mapping to no container port. */
      problems: z.array(z.string()),
    }),
  }),
  simulation: z.object({
    profile: z.string(),
    verdict: Verdict,
    backends: z.array(z.object({ pod: z.string(), port: z.number(), verdict: Verdict, egress: Side.optional(), ingress: Side.optional(), explanation: Explanation, triage: z.array(z.string()) })),
    dns: z.object({ servers: z.array(z.string()), udp: Verdict, tcp: Verdict, explanation: Explanation, triage: z.array(z.string()) }).optional(),
  }),
  triage: z.array(z.string()),
  probe: z.object({ ran: z.boolean(), from: z.string().optional(), lines: z.array(z.object({ id: z.string(), what: z.string(), outcome: Outcome, detail: z.string().optional(), latencyMs: z.number().optional(), witnessed: z.boolean().optional() })).optional(), ...ProbeSkipped }),
  comparison: z.object({
    observed: z.enum(['allow', 'deny', 'error', 'not-probed']),
    cause: z.string().optional(),
    findings: z.array(z.object({ id: z.string(), simulated: z.string(), observed: Outcome, agree: z.boolean(), suspect: z.array(z.string()).optional(), why: z.string().optional() })),
    suspects: z.array(z.enum(['cni', 'dns', 'endpoints', 'unmodelled-policy', 'cluster-fault'])),
  }),
  want: z.enum(['allow', 'deny']).optional(),
  verdict: z.object({ simulated: z.string(), observed: z.string(), judgedBy: z.enum(['observed', 'simulated']), met: z.boolean().optional() }),
  proposal: z
    .object({
      want: z.enum(['allow', 'deny']),
      yaml: z.string(),
      policies: z.array(z.object({ namespace: z.string(), name: z.string(), replaces: z.boolean() })),
      rationale: z.array(z.string()),
      lint: z.array(z.object({ rule: z.string(), severity: z.string(), message: z.string() }).loose()),
      blastRadius: z.object({ wanted: z.array(Cell), others: z.array(Cell), otherNamespaces: z.array(Cell), judged: z.number().int() }),
    })
    .optional(),
  proposalNote: z.string().optional(),
  rehearsal: z.object({ suiteDir: z.string(), rollbackFile: z.string().optional(), exitCode: z.number().int(), flowObserved: z.string().optional(), blastObserved: z.record(z.string(), z.string()), restored: z.boolean(), summary: z.string() }).optional(),
  suiteDir: z.string().optional(),
  notes: z.array(z.string()),
  timings: Timings,
});

export const ExposureReportSchema = z.object({
  schemaVersion: z.literal(1),
  kind: z.literal('exposure'),
  context: z.string(),
  profile: z.string(),
  direction: z.enum(['to', 'from']),
  pod: z.string(),
  classes: z.array(z.object({ key: z.string(), namespace: z.string(), labels: z.record(z.string(), z.string()), members: z.array(z.string()), sample: z.string(), port: z.number(), protocol: z.enum(['TCP', 'UDP', 'SCTP']), simulated: z.string(), why: z.string(), allowedBy: z.array(z.string()), observed: Outcome.optional(), detail: z.string().optional(), agree: z.boolean().optional() })),
  allowed: z.number().int(),
  probed: z.number().int(),
  want: z.enum(['allow', 'deny']).optional(),
  wantMet: z.boolean().optional(),
  notes: z.array(z.string()),
  probe: z.object({ ran: z.boolean(), ...ProbeSkipped }),
  timings: Timings,
});

export const DiagnoseReportSchema = z.discriminatedUnion('kind', [FlowReportSchema, ExposureReportSchema]);
