// Deploying a suite onto a cluster: workloads, externals, policies and label steps.
export * from './workloads.js';
export * from './externals.js';
export * from './policies.js';
export * from './endpoint-changes.js';
