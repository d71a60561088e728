// The `existing` provider: a cluster someone else runs (staging rehearsal). The harness only reads
// the kubeconfig, never deletes the cluster, and mutates namespaces only through NamespaceGuard.
import { readFileSync } from 'node:fs';
import { KubeConfig, VersionApi } from '@kubernetes/client-node';
import { homedir } from 'node:os';
import path from 'node:path';
import { InfraError, UsageError } from '../../errors.js';
import type { ClusterSpec } from '../../suite/schema.js';
import { ClientNodeKubeClient, apiErrorMessage, type KubeClient } from '../kube-client.js';
import { silentProgress, withStep } from '../progress.js';
import { listNodes, type Cluster, type CreateClusterOptions, type NodeInfo } from '../cluster.js';

export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const first = env.KUBECONFIG?.split(path.delimiter).find((p) => p.trim() !== '');
  return first ?? path.join(homedir(), '.kube', 'config');
}

export class ExistingCluster implements Cluster {
  readonly provider = 'existing' as const;
  readonly createdByUs = false;
  readonly ephemeral = false;
  readonly client: KubeClient;

  constructor(
    readonly name: string,
    readonly kubeconfigPath: string,
    readonly context: string,
    readonly kubeConfig: KubeConfig,
    client?: KubeClient,
  ) {
    this.client = client ?? new ClientNodeKubeClient(kubeConfig);
  }

  nodes(): Promise<NodeInfo[]> {
    return listNodes(this.client);
  }

  /** Never deletes: the cluster is not ours. */
  async destroy(): Promise<void> {}
}

/** The kubeconfig file, or a usage error saying what is wrong with it (never a client library's TypeError). */
export function loadKubeconfig(file: string): KubeConfig {
  const kc = new KubeConfig();
  const hint = 'pass --kubeconfig <file> or set KUBECONFIG';
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read kubeconfig ${file}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { hint });
  }
  if (text.trim() === '') throw new UsageError(`kubeconfig ${file} is empty`, { hint });
  try {
    kc.loadFromString(text);
  } catch (e) {
    // The client library reads fields of a document that is not a kubeconfig and fails with a TypeError.
    const why = e instanceof TypeError ? 'it is not a kubeconfig (no clusters, contexts or users)' : (e as Error).message;
    throw new UsageError(`cannot read kubeconfig ${file}: ${why}`, { hint });
  }
  return kc;
}

export async function connectExistingCluster(spec: ClusterSpec, opts: CreateClusterOptions = {}): Promise<ExistingCluster> {
  const progress = opts.progress ?? silentProgress;
  const file = opts.kubeconfig ?? defaultKubeconfigPath();
  const kc = loadKubeconfig(file);
  const context = opts.context ?? opts.name ?? spec.name ?? kc.getCurrentContext();
  if (!context || !kc.getContexts().some((c) => c.name === context)) {
    const known = kc.getContexts().map((c) => c.name);
    throw new UsageError(`kube context ${context ? `"${context}" ` : ''}not found in ${file}`, {
      hint: known.length ? `known contexts: ${known.join(', ')}; pass --context <name>` : 'the kubeconfig has no contexts',
    });
  }
  kc.setCurrentContext(context); // in memory only: the file is never written
  const server = kc.getCurrentCluster()?.server ?? '(no server)';
  await withStep(progress, `connecting to cluster ${context} (${server})`, async () => {
    try {
      await kc.makeApiClient(VersionApi).getCode();
    } catch (e) {
      throw new InfraError(`cannot reach the API server of context ${context} at ${server}: ${apiErrorMessage(e)}`, {
        hint: 'check the kubeconfig, VPN and credentials (kubectl --context ' + context + ' version)',
        cause: e,
      });
    }
  });
  return new ExistingCluster(context, file, context, kc);
}
