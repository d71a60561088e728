// The cluster layer's public surface: providers, CNI installers, images, guard, cleanup, progress.
export * from './provider.js';
export { KindCluster, createKindCluster, kindConfig, renderKindConfig, CONTAINERD_OOM_PATCH, type KindConfig } from './providers/kind.js';
export { ExistingCluster, connectExistingCluster, defaultKubeconfigPath } from './providers/existing.js';
export { K3sCluster, createK3sCluster, k3sServerArgs, k3sImageTarget, K3S_DEFAULT_IMAGE } from './providers/k3s.js';
export * from './cni/index.js';
export { preloadImages } from './images.js';
export { NamespaceGuard, declaredNamespaces, guardFor, FOREIGN_FLAG, type NamespaceOrigin } from './guard.js';
export { CleanupStack, SIGNAL_EXIT_CODES, type CleanupReport } from './cleanup.js';
export { createProgress, silentProgress, withStep, formatElapsed, type Progress, type StepEnd } from './progress.js';
export { ClientNodeKubeClient, type KubeClient, type ObjectRef } from './kube-client.js';
export { newRunId } from './labels.js';
export { readImagesEnv } from './paths.js';
