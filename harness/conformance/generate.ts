// Turns battery cases into one ordinary suite (same schema, built in memory) for the existing run
// path: the cases run one after the other over the shared topology; the first step of a case
// removes what the previous case left applied. The step -> case map lets the verdict table find
// each case's cells again.
import { InputError } from '../errors.js';
import type { SourcedPolicy } from '../policy/types.js';
import type { LoadedSuite } from '../suite/load.js';
import { Suite, type StepSpec, type SuiteInput } from '../suite/schema.js';
import { isError, validateLoaded } from '../suite/validate.js';
import { battery, type CaseContext, type ChangeKind, type ConformanceCase } from './cases.js';
import type { Feature } from './features.js';
import { topology } from './topology.js';

export const DEFAULT_POD_SUBNET = '192.168.0.0/16';

export interface GeneratedStep {
  caseId: string;
  change: ChangeKind;
}

export interface GeneratedBattery {
  loaded: LoadedSuite;
  cases: ConformanceCase[];
  /** Per suite step (same index): the case and the kind of change it makes. */
  steps: GeneratedStep[];
}

export interface GenerateOptions extends Partial<CaseContext> {
  /** Keep only the cases tagged with one of these features. */
  focus?: Feature[];
  /**
   * false: no outside container (existing clusters): the cases about it are left out, and the other
   * cases' cells toward it are not expected.
   */
  externals?: boolean;
}

const aboutExternal = (pattern: string): boolean => pattern.includes('external:');

const FILE = '<conformance battery>';

const setId = (c: ConformanceCase, local: string): string => (local === 'main' ? c.id : `${c.id}-${local}`);

export function selectCases(all: ConformanceCase[], focus?: Feature[]): ConformanceCase[] {
  if (!focus || focus.length === 0) return all;
  return all.filter((c) => c.features.some((f) => focus.includes(f)));
}

/** Builds the battery suite; throws InputError if the generated suite does not validate (a bug here). */
export function generateBattery(opts: GenerateOptions = {}): GeneratedBattery {
  const podSubnet = opts.podSubnet ?? DEFAULT_POD_SUBNET;
  const withExternal = opts.externals !== false;
  const cases = selectCases(battery({ podSubnet }), opts.focus).filter((c) => withExternal || !c.features.includes('ipblock-external'));
  const policies = new Map<string, SourcedPolicy[]>();
  const refs: NonNullable<SuiteInput['policies']> = [];
  const steps: StepSpec[] = [];
  const meta: GeneratedStep[] = [];
  let leftover: string[] = [];
  for (const c of cases) {
    for (const [local, docs] of Object.entries(c.sets)) {
      const id = setId(c, local);
      refs.push({ id, file: `${c.id}/${local}.yaml` });
      policies.set(id, docs.map((policy, docIndex) => ({ policy: structuredClone(policy), setId: id, file: `${FILE} ${c.id}/${local}.yaml`, docIndex })));
    }
    const applied = new Set<string>();
    c.steps.forEach((s, i) => {
      const apply = (s.apply ?? []).map((l) => setId(c, l));
      const remove = [...(i === 0 ? leftover : []), ...(s.remove ?? []).map((l) => setId(c, l))];
      for (const r of remove) applied.delete(r);
      for (const a of apply) applied.add(a);
      steps.push({
        name: c.steps.length === 1 ? c.id : `${c.id}-${i + 1}`,
        description: `${c.title} (${c.spec.join(', ')})`,
        apply,
        remove,
        labels: s.labels ?? [],
        ...(s.create ? { create: s.create } : {}),
        ...(s.delete ? { delete: s.delete } : {}),
        ...(s.recreate ? { recreate: s.recreate } : {}),
        expect: { default: 'allow', rules: s.expect.filter(([, p]) => withExternal || !aboutExternal(p)).map(([verdict, pattern]) => (verdict === 'allow' ? { allow: pattern } : { deny: pattern })) },
      });
      meta.push({ caseId: c.id, change: s.change });
    });
    leftover = [...applied];
  }
  const input: SuiteInput = {
    ...topology({ podSubnet, joiner: cases.some((c) => c.joiner), externals: withExternal }),
    metadata: { name: 'conformance', description: `NetworkPolicy conformance battery: ${cases.length} cases` },
    policies: refs,
    steps,
  };
  const suite = Suite.parse(input);
  const loaded: LoadedSuite = { file: FILE, dir: '.', suite, lineOf: () => undefined, policies };
  const problems = validateLoaded(loaded).filter(isError);
  if (problems.length > 0) throw new InputError(problems);
  return { loaded, cases, steps: meta };
}
