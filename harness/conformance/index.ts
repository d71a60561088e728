export { battery, type CaseContext, type ChangeKind, type ConformanceCase } from './cases.js';
export { FEATURES, FEATURE_NAMES, isFeature, type Feature } from './features.js';
export { cellInStep, DEFAULT_LANES, DEFAULT_POD_SUBNET, generateBattery, MAX_LANES, selectCases, type GeneratedBattery, type GeneratedStep } from './generate.js';
export { conflict, pack, type Round } from './lanes.js';
export { renderConformance } from './render.js';
export { hostHasSctp } from './sctp.js';
export { judge, notEnforcingReport, type ConformanceReport } from './verdict.js';
