// Shared test helpers: a recording CommandRunner and suites built from the schema.
/* eslint-disable @typescript-eslint/require-await -- fakes implement async interfaces without awaiting */
import type { CommandOptions, CommandResult, CommandRunner } from '../../../harness/cluster/command.js';
import { Suite, type SuiteInput } from '../../../harness/suite/schema.js';

export type Responder = (file: string, args: string[], opts?: CommandOptions) => Partial<CommandResult> | undefined;

export class FakeRunner implements CommandRunner {
  readonly calls: { file: string; args: string[] }[] = [];
  constructor(private readonly respond: Responder = () => undefined) {}
  async run(file: string, args: string[], opts?: CommandOptions): Promise<CommandResult> {
    this.calls.push({ file, args });
    const r = this.respond(file, args, opts) ?? {};
    return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exitCode: r.exitCode ?? 0 };
  }
  lines(): string[] {
    return this.calls.map((c) => [c.file, ...c.args].join(' '));
  }
}

export function suite(input: Partial<SuiteInput> = {}): Suite {
  return Suite.parse({
    apiVersion: 'netpol-harness/v1',
    kind: 'Suite',
    metadata: { name: 'demo' },
    namespaces: [{ name: 'demo' }],
    steps: [{ name: 's0', expect: { default: 'allow' } }],
    ...input,
  });
}

import { KubeConfig } from '@kubernetes/client-node';
import type { Cluster, NodeInfo, ProviderName } from '../../../harness/cluster/provider.js';
import type { FakeKube } from './fake-kube.js';

/** A Cluster over a FakeKube. */
export function fakeCluster(kube: FakeKube, over: Partial<{ provider: ProviderName; createdByUs: boolean; ephemeral: boolean; nodes: NodeInfo[]; dockerNetwork: string }> = {}): Cluster {
  const nodes = over.nodes ?? [
    { name: 'nph-control-plane', internalIP: '172.18.0.2', role: 'control-plane', ready: true, schedulable: false },
    { name: 'nph-worker', internalIP: '172.18.0.3', role: 'worker', ready: true, schedulable: true },
    { name: 'nph-worker2', internalIP: '172.18.0.4', role: 'worker', ready: true, schedulable: true },
  ];
  const c: Cluster = {
    provider: over.provider ?? 'kind',
    name: 'nph',
    kubeconfigPath: '/tmp/none',
    context: 'kind-nph',
    kubeConfig: new KubeConfig(),
    client: kube,
    createdByUs: over.createdByUs ?? true,
    ephemeral: over.ephemeral ?? false,
    nodes: async () => nodes,
    destroy: async () => undefined,
  };
  if (over.dockerNetwork !== undefined || (over.provider ?? 'kind') === 'kind') (c as { dockerNetwork?: string }).dockerNetwork = over.dockerNetwork ?? 'kind';
  return c;
}
