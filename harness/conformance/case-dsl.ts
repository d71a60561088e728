// The small vocabulary cases are written in (cases.ts, service-cases.ts): NetworkPolicy documents
// and expectation rules.
import type { NetworkPolicy, NetworkPolicySpec } from '../policy/types.js';
import type { Rule } from './cases.js';
import { EXTERNAL } from './topology.js';

export const np = (name: string, namespace: string, spec: NetworkPolicySpec): NetworkPolicy => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace },
  spec,
});
export const pod = (p: string) => ({ matchLabels: { pod: p } });
export const deny = (pattern: string): Rule => ['deny', pattern];
export const allow = (pattern: string): Rule => ['allow', pattern];
/** Every in-cluster source into / out of an endpoint, and the external container. */
export const isolatedIn = (dst: string): Rule[] => [deny(`* -> ${dst}`)];
export const isolatedOut = (src: string): Rule[] => [deny(`${src} -> *`), deny(`${src} -> external:${EXTERNAL}`)];

