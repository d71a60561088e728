// Random policy sets over the conformance topology (namespaces x, y, z; pods a, b, c; TCP 80/81,
// UDP 80, the named port `serve`; the external container), reproducible from a seed. Each set is
// 1-4 NetworkPolicies mixing what the API offers: policyTypes (given or implied), pod and
// namespace selectors with matchLabels and every matchExpressions operator, the
// kubernetes.io/metadata.name label, both selectors in one peer, ipBlock with and without except
// (against the pod subnet, the nodes' pod ranges and the external container), ports by number,
// by name and as endPort ranges, TCP and UDP, ingress and egress. The expectation in random mode
// is the engine's simulation; the CNI is checked against it. Pure.
import type { LabelSelector, LabelSelectorRequirement, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort, NetworkPolicySpec, SourcedPolicy } from '../../policy/types.js';
import type { LoadedSuite } from '../../suite/load.js';
import { Suite, type SuiteInput } from '../../suite/schema.js';
import { NAMESPACES, topology } from '../topology.js';
import { Picker, rng, streamSeed } from './prng.js';

export interface RandomOptions {
  seed: number;
  /** Generate `port: serve` (named ports). Default true. */
  namedPorts?: boolean;
  /** The cluster's pod CIDR (default the kind cluster's 192.168.0.0/16). */
  podSubnet?: string;
}

export const RANDOM_POD_SUBNET = '192.168.0.0/16';
const METADATA_NAME = 'kubernetes.io/metadata.name';

/** Label keys and the values worth naming: the topology's own plus one nobody carries. */
const POD_KEYS: Record<string, string[]> = { pod: ['a', 'b', 'c'], tier: ['web', 'db', 'cache'] };
const NS_KEYS: Record<string, string[]> = { ns: ['x', 'y', 'z'], env: ['prod', 'dev', 'test'], [METADATA_NAME]: ['x', 'y', 'z'] };
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;

/**
 * ipBlocks that mean the same on every kind cluster with this pod subnet: the subnet, the nodes'
 * /24 pod ranges (kind hands them out in order: control plane first, then the workers the pods
 * run on), everything, and everything but the pods (that is, the external container and nodes).
 */
function ipBlocks(podSubnet: string): { cidr: string; except?: string[] }[] {
  const node = (i: number) => podSubnet.replace(/^(\d+\.\d+)\.\d+\.\d+\/\d+$/, `$1.${i}.0/24`);
  const inSubnet = podSubnet === RANDOM_POD_SUBNET;
  return [
    { cidr: podSubnet },
    ...(inSubnet
      ? [
          { cidr: podSubnet, except: [node(1)] },
          { cidr: podSubnet, except: [node(2)] },
          { cidr: node(1) },
          { cidr: node(2) },
          { cidr: '192.168.0.0/22', except: [node(1), node(3)] },
        ]
      : []),
    { cidr: '0.0.0.0/0' },
    { cidr: '0.0.0.0/0', except: [podSubnet] },
    { cidr: '172.16.0.0/12' },
  ];
}

function selector(p: Picker, keys: Record<string, string[]>, maxTerms: number): LabelSelector {
  const terms = p.pick([0, 0, 1, 1, 1, 2].filter((n) => n <= maxTerms));
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (let t = 0; t < terms; t++) {
    const key = p.pick(Object.keys(keys));
    const values = keys[key]!;
    if (p.chance(0.4)) {
      if (!(key in matchLabels)) matchLabels[key] = p.pick(values);
      continue;
    }
    const operator = p.pick(OPERATORS);
    matchExpressions.push(operator === 'In' || operator === 'NotIn' ? { key, operator, values: p.subset(values, 2) } : { key, operator });
  }
  return { ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}), ...(matchExpressions.length > 0 ? { matchExpressions } : {}) };
}

function peer(p: Picker, podSubnet: string): NetworkPolicyPeer {
  const kind = p.pick(['pod', 'pod', 'ns', 'both', 'both', 'ip'] as const);
  if (kind === 'ip') return { ipBlock: structuredClone(p.pick(ipBlocks(podSubnet))) };
  const out: NetworkPolicyPeer = {};
  if (kind !== 'ns') out.podSelector = selector(p, POD_KEYS, 2);
  if (kind !== 'pod') out.namespaceSelector = selector(p, NS_KEYS, 1);
  return out;
}

function port(p: Picker, named: boolean): NetworkPolicyPort {
  const choices: NetworkPolicyPort[] = [
    { port: 80 },
    { protocol: 'TCP', port: 81 },
    { protocol: 'UDP', port: 80 },
    { protocol: 'UDP' },
    { protocol: 'TCP' },
    { port: 80, endPort: 81 },
    { protocol: 'TCP', port: 79, endPort: 80 },
    { protocol: 'UDP', port: 79, endPort: 81 },
    ...(named ? [{ port: 'serve' }, { protocol: 'TCP' as const, port: 'serve' }, { protocol: 'UDP' as const, port: 'serve' }] : []),
  ];
  return { ...p.pick(choices) };
}

function rules<K extends 'from' | 'to'>(p: Picker, key: K, opts: Required<Omit<RandomOptions, 'seed'>>): ({ ports?: NetworkPolicyPort[] } & Partial<Record<K, NetworkPolicyPeer[]>>)[] {
  const out: ({ ports?: NetworkPolicyPort[] } & Partial<Record<K, NetworkPolicyPeer[]>>)[] = [];
  const n = p.pick([0, 1, 1, 1, 2, 2]);
  for (let i = 0; i < n; i++) {
    const rule = {} as { ports?: NetworkPolicyPort[] } & Partial<Record<K, NetworkPolicyPeer[]>>;
    if (!p.chance(0.2)) rule[key] = Array.from({ length: p.int(1, 2) }, () => peer(p, opts.podSubnet)) as (typeof rule)[K];
    if (!p.chance(0.4)) rule.ports = Array.from({ length: p.int(1, 2) }, () => port(p, opts.namedPorts));
    out.push(rule);
  }
  return out;
}

function policy(p: Picker, name: string, opts: Required<Omit<RandomOptions, 'seed'>>): NetworkPolicy {
  const namespace = p.pick(NAMESPACES);
  const types = p.pick<readonly ('Ingress' | 'Egress')[] | undefined>([undefined, undefined, ['Ingress'], ['Egress'], ['Ingress', 'Egress']]);
  const spec: NetworkPolicySpec = { podSelector: selector(p, POD_KEYS, 2) };
  if (types) spec.policyTypes = [...types];
  // Implied types: Ingress always, Egress when egress rules are given (spec N05).
  const ingress = !types || types.includes('Ingress') ? rules(p, 'from', opts) : [];
  const egress = types ? (types.includes('Egress') ? rules(p, 'to', opts) : []) : p.chance(0.5) ? rules(p, 'to', opts) : [];
  if (ingress.length > 0) spec.ingress = ingress;
  if (egress.length > 0) spec.egress = egress;
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

/** Policy names carry the set number, so the sets of one suite never replace each other in place. */
export const setName = (index: number): string => `set-${index + 1}`;

/** Set `index` (0-based) of `seed`: the same documents for the same (seed, index, options). */
export function generateSet(index: number, opts: RandomOptions): NetworkPolicy[] {
  const full = { namedPorts: opts.namedPorts ?? true, podSubnet: opts.podSubnet ?? RANDOM_POD_SUBNET };
  const p = new Picker(rng(streamSeed(opts.seed, index)));
  const n = p.pick([1, 2, 2, 3, 3, 4]);
  return Array.from({ length: n }, (_, j) => policy(p, `${setName(index)}-p${j + 1}`, full));
}

export const sourced = (setId: string, docs: NetworkPolicy[], file = `${setId}.yaml`): SourcedPolicy[] =>
  docs.map((policy, docIndex) => ({ policy: structuredClone(policy), setId, file, docIndex }));

export interface SuiteOfSets {
  name: string;
  cni: 'calico' | 'kube-router' | 'none';
  podSubnet?: string;
  /** Step name -> policy documents; each step removes the previous one's set and applies its own. */
  sets: { id: string; policies: NetworkPolicy[]; description?: string }[];
  file?: string;
}

/** The topology plus one step per set, each expecting what the engine simulates. */
export function suiteInputOfSets(s: SuiteOfSets): SuiteInput {
  return {
    ...topology({ podSubnet: s.podSubnet ?? RANDOM_POD_SUBNET, joiner: false }),
    cluster: { provider: 'kind', cni: s.cni, podSubnet: s.podSubnet ?? RANDOM_POD_SUBNET, nodes: { controlPlanes: 1, workers: 2 } },
    metadata: { name: s.name, description: `${s.sets.length} random NetworkPolicy set${s.sets.length === 1 ? '' : 's'}, each expected as the engine simulates it` },
    policies: s.sets.map((set) => ({ id: set.id, file: `${set.id}.yaml` })),
    steps: s.sets.map((set, i) => ({
      name: set.id,
      ...(set.description ? { description: set.description } : {}),
      apply: [set.id],
      remove: i > 0 ? [s.sets[i - 1]!.id] : [],
      expect: 'simulated' as const,
    })),
  };
}

/** An in-memory suite of sets (validate with validateLoaded before use). */
export function loadedOfSets(s: SuiteOfSets): LoadedSuite {
  const file = s.file ?? `<random ${s.name}>`;
  const suite = Suite.parse(suiteInputOfSets(s));
  return { file, dir: '.', suite, lineOf: () => undefined, policies: new Map(s.sets.map((set) => [set.id, sourced(set.id, set.policies, `${file} ${set.id}.yaml`)])) };
}

/** `n` sets of `seed` as one suite: one cluster, one deployment, one step per set. */
export function randomSuite(n: number, cni: SuiteOfSets['cni'], opts: RandomOptions): LoadedSuite {
  const sets = Array.from({ length: n }, (_, i) => ({ id: setName(i), policies: generateSet(i, opts), description: `random set ${i + 1} of seed ${opts.seed}` }));
  return loadedOfSets({ name: `random-${opts.seed}`, cni, ...(opts.podSubnet ? { podSubnet: opts.podSubnet } : {}), sets });
}
