// Watching the cluster during a step, so faults become errors with reasons, never verdicts.
export { StepObserver, describeEvent, type ObserverOptions } from './observer.js';
export { GuardedProber, DNS_ENDPOINT, dependencies, destinationOf, distrust } from './guard.js';
export { diffSnapshots, endpointProblem, takeSnapshot, type Snapshot, type WatchTarget } from './snapshot.js';
export { DNS_TARGET, observeStep, unsettledLine, unsettledSummary, watchTargets, type ObservedStep } from './step.js';
