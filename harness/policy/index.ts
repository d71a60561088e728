// The policy engine's public API: a pure core over plain data (no I/O except lint/load.ts).
export type {
  ClusterModel,
  NamespaceModel,
  PodModel,
  ContainerPort,
  ExternalModel,
  NodeModel,
  ServiceModel,
  ServicePortModel,
  EndpointRef,
  Query,
  Protocol,
  QueryProtocol,
  EngineVerdict,
} from './model.js';
export { calico, kubeRouter, upstream, none, PROFILES, DEFAULT_PROFILE, profileByName, type CniProfile } from './profiles.js';
export { evaluate, evaluateIn, type EvalResult, type DirectionResult, type RuleMatch, type Miss, type BackendResult } from './evaluate.js';
export { computeReachability, ReachMatrix, type ReachOptions, type CellVerdict, type PortSpec } from './reach.js';
export { connections, connectionsIn, type Connections } from './connections.js';
export { PortSet, type Provenance } from './ports.js';
export { compilePolicies, compilePolicy, effectiveTypes, type CompiledPolicy, type RejectedPolicy } from './compile.js';
export { prepare, type World } from './world.js';
export { simulateStep, expectedMatrix, profileForSuite, type SimCell, type SimulateOptions } from './simulate.js';
export { suiteModel, type SuiteModel, IMPLICIT_COREDNS_ID } from './suite-model.js';
export { explainCell, resolveStep, resolveSource, resolveTarget, type CellExplanation, type CellTarget } from './suite-query.js';
export { lintPolicies, lintSuite, ruleTable, RULES, type Finding, type LintResult, type RuleId, type Severity } from './lint/index.js';
export { lintPath } from './lint/load.js';
export type { ClusterNetworkPolicy, SourcedClusterPolicy, CnpTier, CnpAction } from './cnp/types.js';
export { validateClusterNetworkPolicy } from './cnp/validate.js';
export type { TierRuleMatch } from './cnp/tier.js';
export type { DecidingTier } from './evaluate.js';
