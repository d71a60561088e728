// `simulate --output json`: what the policies imply at each step, one structured record per cell
// (source, destination, port, protocol, verdict), with the hand-written expectation where the step
// has one and an `uncertain` reason where the verdict depends on pod IPs known only at run time.
import type { Explanation } from '../diff/result.js';
import type { Verdict } from '../matrix/matrix.js';
import type { EngineVerdict } from '../policy/model.js';
import type { CniProfile } from '../policy/profiles.js';
import { DNS_PORT, expectedMatrix, simulateStep } from '../policy/simulate.js';
import type { LoadedSuite } from '../suite/load.js';

export interface SimulationCell {
  /** `<namespace>/<name>` */
  source: string;
  /** `<namespace>/<name>`, `external:<name>`, or `dns` for a DNS check. */
  destination: string;
  /** For a DNS check: the name resolved (the port and protocol are CoreDNS's 53/UDP). */
  dnsName?: string;
  port: number;
  portName?: string;
  protocol: string;
  verdict: Verdict;
  /** The engine's own answer: `unknown` when the profile cannot enforce it (then `verdict` is what the policies say). */
  engineVerdict: EngineVerdict;
  /** The step's hand-written expectation for this cell (absent where the step defers to the simulation). */
  expected?: Verdict;
  /** `default` or `rules[i]`. */
  expectedOrigin?: string;
  /** Why the verdict may differ on a cluster: it depends on pod IPs, unknown offline. */
  uncertain?: string;
  explanation: Explanation;
  /** The matrix keys (`src`, `col`), as in results.json. */
  src: string;
  col: string;
}

export interface SimulationStep {
  /** 0-based position in the suite's steps. */
  index: number;
  /** 1-based, as the text says it (`step 2/8`). */
  number: number;
  name: string;
  cells: SimulationCell[];
}

export function simulationStep(loaded: LoadedSuite, index: number, profile: CniProfile): SimulationStep {
  const sim = simulateStep(loaded, index, { profile });
  const expected = expectedMatrix(loaded, index, { profile }, sim);
  const cells: SimulationCell[] = [];
  for (const { src, col, value } of sim.cells()) {
    if (!value) continue;
    const exp = expected.get(src.id, col.key);
    const where =
      col.kind === 'dns'
        ? { destination: 'dns', dnsName: col.name, port: DNS_PORT.port, protocol: DNS_PORT.protocol }
        : { destination: col.dst, port: col.port, ...(col.portName !== undefined ? { portName: col.portName } : {}), protocol: col.protocol };
    cells.push({
      source: src.id,
      ...where,
      verdict: value.verdict,
      engineVerdict: value.engineVerdict,
      ...(exp && exp.origin !== 'simulated' ? { expected: exp.verdict, expectedOrigin: exp.origin } : {}),
      ...(value.uncertain ? { uncertain: value.uncertain.join('; ') } : {}),
      explanation: value.explanation,
      src: src.id,
      col: col.key,
    });
  }
  return { index, number: index + 1, name: loaded.suite.steps[index]!.name, cells };
}
