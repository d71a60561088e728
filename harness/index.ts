// netpol-harness as a library. The data path, in order: suite -> cluster -> apply -> probe -> matrix -> diff -> report.
// The CLI (harness/cli) and the mocha suites (suites/*.spec.ts) are thin shells over these exports.

// suite: the format, loading, validation and the state after each step
export * from './suite/schema.js';
export { loadSuite, type LoadedSuite } from './suite/load.js';
export { validateSuite, loadValidSuite } from './suite/validate.js';
export { stateAtStep, type StepState } from './suite/state.js';

// policy engine (pure): simulate, explain, lint
export * as policy from './policy/index.js';
export { simulateStep, expectedMatrix, explainCell, lintSuite, lintPath } from './policy/index.js';

// cluster, apply, probe: the adapters
export * as cluster from './cluster/index.js';
export { enforcementCanary, type CanaryResult } from './cluster/checks/canary.js';
export * as apply from './apply/index.js';
export { BatchProber, PerProbeExecProber, type Prober } from './probe/prober.js';
export { probeUntilSettled } from './probe/settle.js';
export { ApiServerExecutor, type PodExecutor } from './probe/exec.js';

// matrix, diff, report
export { buildAxes, type Axes, type Column, type Endpoint } from './matrix/axes.js';
export { Matrix, type Verdict } from './matrix/matrix.js';
export { expandExpectation, type ExpectedCell } from './matrix/expect.js';
export type { RunResult, StepResult, CellResult, Observation, ObservedClass, MismatchKind, Explanation } from './diff/result.js';
export * from './report/index.js';

// the cluster-free tier: validate + simulate + compare hand-written expectations + lint
export { checkPaths, checkSuite, checkLoaded, checkExitCode, type CheckReport, type SuiteCheck, type Disagreement } from './check/check.js';

// the whole job
export { HarnessSession, effectiveCni, type SessionOptions } from './run/session.js';
export { netpolChai } from './chai/index.js';
export * from './errors.js';
