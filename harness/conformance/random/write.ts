// A deviating random set written out as a suite of its own: the conformance topology, the
// (shrunk) policy set in one file, one step expecting what the engine simulates, so
// `netpol-harness run` on it shows the same cells deviating. The generated set is kept beside it.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { toYaml } from '../../suite/yaml-write.js';
import { InfraError } from '../../errors.js';
import { makeOutputDir } from '../../report/report-dir.js';
import type { NetworkPolicy } from '../../policy/types.js';
import { suiteInputOfSets, type SuiteOfSets } from './generate.js';
import { cellKey, type CellDeviation } from './oracle.js';

export const REPRO_SET = 'repro';

export interface Repro {
  seed: number;
  /** 0-based index of the set in the run. */
  index: number;
  cni: SuiteOfSets['cni'];
  podSubnet?: string;
  /** The set to write (shrunk, or the generated one when no smaller set reproduced). */
  policies: NetworkPolicy[];
  /** The generated set, as it ran. */
  original: NetworkPolicy[];
  /** The cells that deviated (simulated vs observed) when the written set ran on the cluster. */
  deviations: CellDeviation[];
}

export const reproDirName = (r: Pick<Repro, 'seed' | 'index'>): string => `${r.seed}-${r.index + 1}`;

const docs = (policies: NetworkPolicy[]): string => policies.map((p) => toYaml(p)).join('---\n');

/** The files of a repro suite, by name (pure: the same input gives the same bytes). */
export function reproFiles(r: Repro): Record<string, string> {
  const name = `random-${r.seed}-${r.index + 1}`;
  const cells = r.deviations.map((d) => `${cellKey(d)} (engine ${d.simulated}, observed ${d.observed})`);
  const input = suiteInputOfSets({
    name,
    cni: r.cni,
    ...(r.podSubnet ? { podSubnet: r.podSubnet } : {}),
    sets: [{ id: REPRO_SET, policies: r.policies, description: `deviated on ${r.cni}: ${cells.join('; ')}` }],
  });
  const header = [
    `# written by netpol-harness conformance --random (seed ${r.seed}, set ${r.index + 1}): a minimal suite where ${r.cni}`,
    `# does not do what the policy engine simulates. Reproduce: netpol-harness run suite.yaml --cni ${r.cni}`,
    '# Deviating cells:',
    ...cells.map((c) => `#   ${c}`),
    '',
  ].join('\n');
  return {
    'suite.yaml': header + toYaml(input),
    [`${REPRO_SET}.yaml`]: docs(r.policies),
    'original.yaml': `# the generated set (set ${r.index + 1} of seed ${r.seed}) before shrinking; not used by suite.yaml\n${docs(r.original)}`,
  };
}

/** Writes the repro suite under `<dir>/<seed>-<i>/`; returns the suite file. */
export async function writeRepro(dir: string, r: Repro): Promise<string> {
  const out = path.join(dir, reproDirName(r));
  await makeOutputDir(out);
  try {
    for (const [file, text] of Object.entries(reproFiles(r))) await writeFile(path.join(out, file), text, 'utf8');
  } catch (e) {
    throw new InfraError(`cannot write the repro suite to ${out}: ${(e as Error).message}`, { hint: 'check that --report-dir is writable', cause: e });
  }
  return path.join(out, 'suite.yaml');
}
