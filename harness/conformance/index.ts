export { battery, type CaseContext, type ChangeKind, type ConformanceCase } from './cases.js';
export { FEATURES, FEATURE_NAMES, isFeature, type Feature } from './features.js';
export { DEFAULT_POD_SUBNET, generateBattery, selectCases, type GeneratedBattery } from './generate.js';
export { renderConformance } from './render.js';
export { hostHasSctp } from './sctp.js';
export { judge, notEnforcingReport, type ConformanceReport } from './verdict.js';
