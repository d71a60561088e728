#!/usr/bin/env node
// Writes schema/suite.schema.json from the zod suite schema (after the build), for editor autocompletion.
import { mkdirSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { Suite } from '../dist/harness/suite/schema.js';

const schema = z.toJSONSchema(Suite, { target: 'draft-2020-12', io: 'input' });
schema.$id = 'https://netpol-harness.dev/schema/suite.schema.json';
schema.title = 'netpol-harness suite';
mkdirSync(new URL('../schema/', import.meta.url), { recursive: true });
writeFileSync(new URL('../schema/suite.schema.json', import.meta.url), JSON.stringify(schema, null, 2) + '\n');
console.log('wrote schema/suite.schema.json');
