// The suite schema: the dynamics fields parse, and the committed JSON Schema for editors is the one
// `npm run build` generates from harness/suite/schema.ts (scripts/write-schema.mjs).
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { Suite } from '../../../harness/suite/schema.js';

describe('suite/schema', () => {
  const minimal = { apiVersion: 'netpol-harness/v1', kind: 'Suite', metadata: { name: 't' }, namespaces: [{ name: 'a' }] };

  it('accepts initially: absent and step create/delete/recreate targets, and rejects bad ones', () => {
    const ok = Suite.safeParse({
      ...minimal,
      namespaces: [{ name: 'a' }, { name: 'b', initially: 'absent' }],
      workloads: [{ name: 'w', namespace: 'b', initially: 'absent' }],
      steps: [{ name: 's', create: ['namespace/b', 'b/w'], delete: [], recreate: [], expect: 'simulated' }],
    });
    expect(ok.success, JSON.stringify(ok.error?.issues)).to.equal(true);
    expect(Suite.safeParse({ ...minimal, namespaces: [{ name: 'a', initially: 'gone' }], steps: [{ name: 's', expect: 'simulated' }] }).success).to.equal(false);
    expect(Suite.safeParse({ ...minimal, steps: [{ name: 's', create: ['just-a-name'], expect: 'simulated' }] }).success).to.equal(false);
  });

  it('schema/suite.schema.json is up to date (npm run build writes it)', () => {
    const fresh = z.toJSONSchema(Suite, { target: 'draft-2020-12', io: 'input' }) as Record<string, unknown>;
    const committed = JSON.parse(readFileSync('schema/suite.schema.json', 'utf8')) as Record<string, unknown>;
    const { $id: _id, title: _title, ...rest } = committed;
    expect(rest).to.deep.equal(fresh);
    const steps = JSON.stringify(committed);
    for (const field of ['initially', 'create', 'delete', 'recreate']) expect(steps).to.include(`"${field}"`);
  });
});
