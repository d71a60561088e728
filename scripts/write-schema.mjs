#!/usr/bin/env node
// Writes schema/suite.schema.json from the zod suite schema (after the build), for editor autocompletion,
// schema/conformance.schema.json from the zod schema of conformance.json (harness/conformance/report-schema.ts),
// schema/conformance-random.schema.json from that of random.json (harness/conformance/random/report-schema.ts),
// and schema/diagnose.schema.json from that of `diagnose -o json` (harness/diagnose/report-schema.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Suite } from '../dist/harness/suite/schema.js';
import { ConformanceReportSchema } from '../dist/harness/conformance/report-schema.js';
import { RandomReportSchema } from '../dist/harness/conformance/random/report-schema.js';
import { DiagnoseReportSchema } from '../dist/harness/diagnose/report-schema.js';

const schema = z.toJSONSchema(Suite, { target: 'draft-2020-12', io: 'input' });
schema.$id = 'https://netpol-harness.dev/schema/suite.schema.json';
schema.title = 'netpol-harness suite';
mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
writeFileSync(new URL('../schema/suite.schema.json', import.meta.url), JSON.stringify(schema, null, 2) + '\n');
console.log('wrote schema/suite.schema.json');

const conformance = z.toJSONSchema(ConformanceReportSchema, { target: 'draft-2020-12', io: 'input' });
conformance.$id = 'https://netpol-harness.dev/schema/conformance.schema.json';
conformance.title = 'netpol-harness conformance report (conformance.json)';
writeFileSync(new URL('../schema/conformance.schema.json', import.meta.url), JSON.stringify(conformance, null, 2) + '\n');
console.log('wrote schema/conformance.schema.json');

const random = z.toJSONSchema(RandomReportSchema, { target: 'draft-2020-12', io: 'input' });
random.$id = 'https://netpol-harness.dev/schema/conformance-random.schema.json';
random.title = 'netpol-harness random conformance report (random.json)';
writeFileSync(new URL('../schema/conformance-random.schema.json', import.meta.url), JSON.stringify(random, null, 2) + '\n');
console.log('wrote schema/conformance-random.schema.json');

const diagnose = z.toJSONSchema(DiagnoseReportSchema, { target: 'draft-2020-12', io: 'input' });
diagnose.$id = 'https://netpol-harness.dev/schema/diagnose.schema.json';
diagnose.title = 'netpol-harness diagnose report (diagnose -o json)';
writeFileSync(new URL('../schema/diagnose.schema.json', import.meta.url), JSON.stringify(diagnose, null, 2) + '\n');
console.log('wrote schema/diagnose.schema.json');
