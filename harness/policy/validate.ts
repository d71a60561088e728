// NetworkPolicy validation equivalent to the API server's, so a suite fails before any cluster
// exists on what `kubectl apply` would reject. Two layers, as in the server:
//   1. strict decoding: unknown fields (a typo like `podSelecter` or `ingres`) and wrong types;
//   2. kubernetes pkg/apis/networking/validation ValidateNetworkPolicy: object meta, label
//      selectors, peers, ipBlock, ports, policyTypes (spec §1.2, §1.4, §1.5; catalogue N18, N46).
// One addition beyond the server: a policyType listed twice is reported (always a slip).
// Paths and messages follow the server's (`spec.ingress[0].from[1]: must specify a peer`) with
// a hint on what to write instead.
import type { Issue } from '../errors.js';
import { cidrContains, formatCidr, isCidr, parseCidr } from '../suite/cidr.js';
import { describeValue, didYouMean, quoteHint, quoteList } from '../suite/hints.js';
import type { SourcedPolicy } from './types.js';

export interface PolicyValidationOptions {
  /** Prepended to every field path, e.g. `[doc 1] ` for the second document of a multi-document file. */
  pathPrefix?: string;
}

// ---------------------------------------------------------------- names (apimachinery validation)

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME_PART = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** Problems with a DNS-1123 subdomain (object names, label-key prefixes); empty when valid. */
export function dns1123SubdomainProblems(s: string): string[] {
  const out: string[] = [];
  if (s.length > 253) out.push('must be no more than 253 characters');
  if (!DNS1123_SUBDOMAIN.test(s))
    out.push('must be a lowercase RFC 1123 subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit (e.g. "allow-dns")');
  return out;
}

export function dns1123LabelProblems(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push('must be no more than 63 characters');
  if (!DNS1123_LABEL.test(s)) out.push('must be a lowercase RFC 1123 label: lower-case letters, digits and "-", starting and ending with a letter or digit');
  return out;
}

/** Label keys and annotation keys: `[prefix/]name` (k8s IsQualifiedName). */
export function qualifiedNameProblems(s: string): string[] {
  const parts = s.split('/');
  let name = s;
  const out: string[] = [];
  if (parts.length === 2) {
    const [prefix, n] = parts as [string, string];
    name = n;
    if (prefix === '') out.push('prefix part must be non-empty');
    else out.push(...dns1123SubdomainProblems(prefix).map((m) => `prefix part ${m}`));
  } else if (parts.length > 2) {
    return ['must be a qualified name: an optional DNS subdomain prefix and "/", then a name (e.g. "app" or "example.com/team")'];
  }
  if (name === '') out.push('name part must be non-empty');
  else {
    if (name.length > 63) out.push('name part must be no more than 63 characters');
    if (!QUALIFIED_NAME_PART.test(name))
      out.push('name part must consist of letters, digits, "-", "_" or ".", and start and end with a letter or digit (e.g. "app", "my.name", "123-abc")');
  }
  return out;
}

export function labelValueProblems(s: string): string[] {
  const out: string[] = [];
  if (s.length > 63) out.push('must be no more than 63 characters');
  if (!LABEL_VALUE.test(s)) out.push('must be empty or consist of letters, digits, "-", "_" or ".", starting and ending with a letter or digit');
  return out;
}

/** k8s IsValidPortName (IANA_SVC_NAME). */
export function portNameProblems(s: string): string[] {
  if (/^\d+$/.test(s)) return ['is a number written as a string: remove the quotes (a port name needs at least one letter)'];
  const out: string[] = [];
  if (s.length > 15) out.push('must be no more than 15 characters');
  if (!/^[-a-z0-9]+$/.test(s)) out.push('must contain only lower-case letters, digits and "-"');
  else if (!/[a-z]/.test(s)) out.push('must contain at least one letter (a-z)');
  if (s.includes('--')) out.push('must not contain consecutive hyphens');
  if (s.startsWith('-') || s.endsWith('-')) out.push('must not begin or end with a hyphen');
  return out;
}

const validPortNumber = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 65535;

// ---------------------------------------------------------------- strict decoding

export type Shape =
  | { t: 'obj'; fields: Record<string, Shape> }
  | { t: 'list'; of: Shape }
  | { t: 'str' }
  | { t: 'int' }
  | { t: 'intOrStr' }
  | { t: 'strMap' }
  | { t: 'any' };

export const str: Shape = { t: 'str' };
export const int: Shape = { t: 'int' };
export const any: Shape = { t: 'any' };
export const strMap: Shape = { t: 'strMap' };
export const obj = (fields: Record<string, Shape>): Shape => ({ t: 'obj', fields });
export const list = (of: Shape): Shape => ({ t: 'list', of });

export const SELECTOR = obj({
  matchLabels: strMap,
  matchExpressions: list(obj({ key: str, operator: str, values: list(str) })),
});
const PEER = obj({ podSelector: SELECTOR, namespaceSelector: SELECTOR, ipBlock: obj({ cidr: str, except: list(str) }) });
const PORT = obj({ protocol: str, port: { t: 'intOrStr' }, endPort: int });
export const METADATA_SHAPE = obj({
  name: str,
  namespace: str,
  labels: strMap,
  annotations: strMap,
  // Server-managed or rarely written ObjectMeta fields: accepted, not checked further.
  generateName: str,
  uid: str,
  resourceVersion: str,
  generation: int,
  selfLink: str,
  creationTimestamp: any,
  deletionTimestamp: any,
  deletionGracePeriodSeconds: int,
  ownerReferences: list(any),
  finalizers: list(str),
  managedFields: list(any),
});
const POLICY_SHAPE = obj({
  apiVersion: str,
  kind: str,
  metadata: METADATA_SHAPE,
  spec: obj({
    podSelector: SELECTOR,
    policyTypes: list(str),
    ingress: list(obj({ from: list(PEER), ports: list(PORT) })),
    egress: list(obj({ to: list(PEER), ports: list(PORT) })),
  }),
});

const TYPE_WORD: Record<Shape['t'], string> = {
  obj: 'a mapping',
  list: 'a list',
  str: 'a string',
  int: 'a whole number',
  intOrStr: 'a port number or a port name',
  strMap: 'a mapping of strings',
  any: 'anything',
};

export const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function join(base: string, seg: string | number): string {
  if (typeof seg === 'number') return `${base}[${seg}]`;
  return base === '' ? seg : `${base}.${seg}`;
}

/** Path usable for line lookup: keys with dots (label keys) cannot be addressed, so stop at the map. */
export const lookupPath = (base: string, key: string): string => (/[.[\]]/.test(key) ? base : join(base, key));

export class Reporter {
  readonly issues: Issue[] = [];
  constructor(
    private readonly p: Pick<SourcedPolicy, 'file' | 'lineOf' | 'keyLineOf'>,
    private readonly prefix: string,
  ) {}

  add(path: string, message: string, opts: { linePath?: string; severity?: 'warning' } = {}): void {
    const lp = opts.linePath ?? path;
    const line = (this.p.keyLineOf ?? this.p.lineOf)?.(lp);
    this.issues.push({
      file: this.p.file,
      path: this.prefix + (path || '(document)'),
      ...(line !== undefined ? { line } : {}),
      message,
      ...(opts.severity ? { severity: opts.severity } : {}),
    });
  }

  /** One issue for several problems of the same field, joined so each field gets one line. */
  addAll(path: string, problems: string[], lead = '', linePath?: string): void {
    if (problems.length > 0) this.add(path, lead + problems.join('; '), linePath !== undefined ? { linePath } : {});
  }
}

/** Reports unknown fields and wrong types; returns false when `v` itself has the wrong type. */
export function decode(v: unknown, shape: Shape, path: string, r: Reporter): boolean {
  // A null field decodes to its zero value, exactly like an omitted one.
  if (v === null || v === undefined || shape.t === 'any') return true;
  const wrong = (): false => {
    r.add(path, `must be ${TYPE_WORD[shape.t]} (found ${describeValue(v)})${shape.t === 'str' ? quoteHint(v) : ''}`);
    return false;
  };
  switch (shape.t) {
    case 'obj': {
      if (!isMap(v)) return wrong();
      const known = Object.keys(shape.fields);
      for (const [k, child] of Object.entries(v)) {
        const s = shape.fields[k];
        if (s === undefined) r.add(join(path, k), `unknown field "${k}"${didYouMean(k, known)}`, { linePath: lookupPath(path, k) });
        else decode(child, s, join(path, k), r);
      }
      return true;
    }
    case 'list':
      if (!Array.isArray(v)) return wrong();
      v.forEach((item, i) => decode(item, shape.of, join(path, i), r));
      return true;
    case 'str':
      return typeof v === 'string' || wrong();
    case 'int':
      return (typeof v === 'number' && Number.isInteger(v)) || wrong();
    case 'intOrStr':
      return (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'string' || wrong();
    case 'strMap': {
      if (!isMap(v)) return wrong();
      for (const [k, val] of Object.entries(v)) {
        if (val !== null && typeof val !== 'string')
          r.add(path, `value of "${k}" must be a string (found ${describeValue(val)})${quoteHint(val)}`, { linePath: lookupPath(path, k) });
      }
      return true;
    }
  }
}

// ---------------------------------------------------------------- semantic validation

const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'];
const PROTOCOLS = ['TCP', 'UDP', 'SCTP'];
const POLICY_TYPES = ['Ingress', 'Egress'];

export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function validateLabels(v: unknown, path: string, r: Reporter): void {
  if (!isMap(v)) return;
  for (const [k, val] of Object.entries(v)) {
    const lp = lookupPath(path, k);
    r.addAll(path, qualifiedNameProblems(k), `label key "${k}": `, lp);
    if (typeof val === 'string') r.addAll(path, labelValueProblems(val), `value "${val}" of label "${k}": `, lp);
  }
}

/** apimachinery ValidateLabelSelector (values checked as label values, the strict default). */
export function validateSelector(v: unknown, path: string, r: Reporter): void {
  if (!isMap(v)) return;
  validateLabels(v.matchLabels, join(path, 'matchLabels'), r);
  asList(v.matchExpressions).forEach((e, i) => {
    if (!isMap(e)) return;
    const ep = join(join(path, 'matchExpressions'), i);
    const op = asString(e.operator) ?? '';
    const values = asList(e.values);
    if (op === 'In' || op === 'NotIn') {
      if (values.length === 0) r.add(join(ep, 'values'), `must be specified when operator is "${op}" (list the label values to match)`, { linePath: ep });
    } else if (op === 'Exists' || op === 'DoesNotExist') {
      if (values.length > 0) r.add(join(ep, 'values'), `may not be specified when operator is "${op}"`);
    } else {
      r.add(join(ep, 'operator'), op === '' ? `is required: one of ${quoteList(OPERATORS)}` : `unsupported value "${op}": supported values are ${quoteList(OPERATORS)}${didYouMean(op, OPERATORS)}`, op === '' ? { linePath: ep } : {});
    }
    const key = asString(e.key) ?? '';
    if (key === '') r.add(join(ep, 'key'), 'is required: the label key to test', { linePath: ep });
    else r.addAll(join(ep, 'key'), qualifiedNameProblems(key), `label key "${key}": `);
    values.forEach((val, j) => {
      if (typeof val === 'string') r.addAll(join(join(ep, 'values'), j), labelValueProblems(val), `label value "${val}" `);
    });
  });
}

/** ValidateIPBlock: cidr required and valid, every except a valid strict subset of cidr. */
function validateIpBlock(v: Record<string, unknown>, path: string, r: Reporter): void {
  const cidrText = asString(v.cidr) ?? '';
  const cp = join(path, 'cidr');
  if (cidrText === '') {
    r.add(cp, 'is required (e.g. 10.0.0.0/8; 0.0.0.0/0 for every IPv4 address)', { linePath: v.cidr === undefined ? path : cp });
    return;
  }
  const cidr = parseCidr(cidrText);
  if (!isCidr(cidr)) {
    const example = cidr.error.startsWith('is not an') ? ' (e.g. 10.9.8.0/24 or 2001:db8::/64)' : '';
    r.add(cp, `"${cidrText}" is not a valid CIDR: it ${cidr.error}${example}`);
    return;
  }
  if (cidr.addr !== cidr.network) {
    r.add(cp, `"${cidrText}" has host bits set; the API server accepts it as "${formatCidr(cidr)}": write that (or /32 for one address)`, { severity: 'warning' });
  }
  asList(v.except).forEach((e, i) => {
    const text = asString(e);
    if (text === undefined) return;
    const ep = join(join(path, 'except'), i);
    const ex = parseCidr(text);
    if (!isCidr(ex)) {
      r.add(ep, `"${text}" is not a valid CIDR: it ${ex.error}`);
      return;
    }
    if (!cidrContains(cidr, ex) || ex.prefix <= cidr.prefix) {
      const why =
        cidr.family !== ex.family
          ? `it is IPv${ex.family} and cidr is IPv${cidr.family}`
          : cidrContains(cidr, ex)
            ? `it covers all of cidr, which would exclude every address; remove the peer instead`
            : `it lies outside cidr`;
      r.add(ep, `"${text}" must be a strict subset of cidr "${cidrText}": ${why}`);
    }
  });
}

/** ValidateNetworkPolicyPeer: exactly one kind of peer; an empty peer or `podSelector: null` alone is rejected. */
function validatePeer(v: unknown, path: string, direction: 'from' | 'to', r: Reporter): void {
  if (!isMap(v)) {
    if (v === null || v === undefined) r.add(path, `must specify a peer: set podSelector, namespaceSelector or ipBlock (to allow every ${direction === 'from' ? 'source' : 'destination'}, omit "${direction}")`);
    return;
  }
  let n = 0;
  if (v.podSelector !== null && v.podSelector !== undefined) {
    n++;
    validateSelector(v.podSelector, join(path, 'podSelector'), r);
  }
  if (v.namespaceSelector !== null && v.namespaceSelector !== undefined) {
    n++;
    validateSelector(v.namespaceSelector, join(path, 'namespaceSelector'), r);
  }
  const hasIpBlock = v.ipBlock !== null && v.ipBlock !== undefined;
  if (hasIpBlock) {
    n++;
    if (isMap(v.ipBlock)) validateIpBlock(v.ipBlock, join(path, 'ipBlock'), r);
  }
  if (n === 0) {
    const nulls = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => k in v);
    const hint =
      nulls.length > 0
        ? `${nulls.map((k) => `${k}: null`).join(' and ')} counts as not set; write podSelector: {} for every pod of the policy's namespace, or namespaceSelector: {} for every namespace`
        : `an empty peer {} is rejected; to allow every ${direction === 'from' ? 'source' : 'destination'}, omit "${direction}"`;
    r.add(path, `must specify a peer (podSelector, namespaceSelector or ipBlock): ${hint}`);
  } else if (n > 1 && hasIpBlock) {
    r.add(path, 'may not specify both ipBlock and another peer: put the ipBlock in its own list item (separate peers are ORed)');
  }
}

/** ValidateNetworkPolicyPort: protocol, port number or name, endPort rules (N18). */
function validatePort(v: unknown, path: string, r: Reporter): void {
  if (!isMap(v)) return;
  const proto = v.protocol;
  if (typeof proto === 'string' && !PROTOCOLS.includes(proto)) {
    r.add(join(path, 'protocol'), `unsupported value "${proto}": supported values are ${quoteList(PROTOCOLS)}${didYouMean(proto, PROTOCOLS)}`);
  }
  const port = v.port;
  const endPort = v.endPort;
  const hasEnd = typeof endPort === 'number' && Number.isInteger(endPort);
  const pp = join(path, 'port');
  const ep = join(path, 'endPort');
  if (typeof port === 'number' && Number.isInteger(port)) {
    if (!validPortNumber(port)) r.add(pp, `must be between 1 and 65535, inclusive (found ${port})`);
    if (hasEnd) {
      if (endPort < port) r.add(ep, `must be greater than or equal to port (${port}); found ${endPort}`);
      else if (!validPortNumber(endPort)) r.add(ep, `must be between 1 and 65535, inclusive (found ${endPort})`);
    }
  } else if (typeof port === 'string') {
    if (hasEnd) r.add(ep, `may not be specified when port is non-numeric ("${port}"): a range needs a numeric port`);
    r.addAll(pp, portNameProblems(port), `"${port}" is neither a port number nor a valid port name: it `);
  } else if (hasEnd && (port === undefined || port === null)) {
    r.add(ep, 'may not be specified when port is not specified: set port to the first port of the range');
  }
}

function validatePolicyTypes(v: unknown, path: string, r: Reporter): void {
  const types = asList(v);
  if (types.length > 2) {
    r.add(path, `may not specify more than two policyTypes (found ${types.length}): use Ingress, Egress or both`);
    return;
  }
  const seen = new Set<string>();
  types.forEach((t, i) => {
    if (typeof t !== 'string') return;
    const tp = join(path, i);
    if (!POLICY_TYPES.includes(t)) r.add(tp, `unsupported value "${t}": supported values are ${quoteList(POLICY_TYPES)}${didYouMean(t, POLICY_TYPES)}`);
    else if (seen.has(t)) r.add(tp, `"${t}" is listed twice`);
    seen.add(t);
  });
}

function validateMeta(v: unknown, r: Reporter): void {
  if (!isMap(v)) {
    // A metadata of the wrong type is already reported by decoding.
    if (v === null || v === undefined) r.add('metadata.name', 'is required: every NetworkPolicy needs a name');
    return;
  }
  const name = asString(v.name) ?? '';
  if (name === '') r.add('metadata.name', 'is required: every NetworkPolicy needs a name', v.name === undefined ? { linePath: 'metadata' } : {});
  else r.addAll('metadata.name', dns1123SubdomainProblems(name), `"${name}" `);
  const ns = asString(v.namespace) ?? '';
  if (ns === '') {
    r.add('metadata.namespace', "is required: set metadata.namespace, or set namespace on the suite's policies entry for this file", { linePath: 'metadata' });
  } else {
    r.addAll('metadata.namespace', dns1123LabelProblems(ns), `"${ns}" `);
  }
  validateLabels(v.labels, 'metadata.labels', r);
  if (isMap(v.annotations)) {
    let size = 0;
    for (const [k, val] of Object.entries(v.annotations)) {
      size += k.length + (typeof val === 'string' ? val.length : 0);
      r.addAll('metadata.annotations', qualifiedNameProblems(k.toLowerCase()), `annotation key "${k}": `, lookupPath('metadata.annotations', k));
    }
    if (size > 256 * 1024) r.add('metadata.annotations', `may not be more than 262144 bytes in total (found ${size})`);
  }
}

/**
 * Validates one NetworkPolicy document the way the API server would on create
 * (strict field validation, as kubectl does by default). Errors make `kubectl apply` fail;
 * warnings (severity 'warning') are accepted by the server but likely mistakes.
 */
export function validateNetworkPolicy(p: SourcedPolicy, opts: PolicyValidationOptions = {}): Issue[] {
  const r = new Reporter(p, opts.pathPrefix ?? '');
  const doc: unknown = p.policy;
  if (!isMap(doc)) {
    r.add('', `must be a mapping (a NetworkPolicy), found ${describeValue(doc)}`);
    return r.issues;
  }
  if (doc.apiVersion !== 'networking.k8s.io/v1') r.add('apiVersion', `must be "networking.k8s.io/v1" (found ${describeValue(doc.apiVersion)})`);
  if (doc.kind !== 'NetworkPolicy') r.add('kind', `must be "NetworkPolicy" (found ${describeValue(doc.kind)})`);
  if (r.issues.length > 0) return r.issues;

  // Like the server, a document that does not decode strictly is rejected before validation;
  // this also keeps a typo from cascading (`podSelecter` would otherwise leave an empty peer).
  decode(doc, POLICY_SHAPE, '', r);
  if (r.issues.length > 0) return r.issues;
  validateMeta(doc.metadata, r);
  const spec = isMap(doc.spec) ? doc.spec : {};
  validateSelector(spec.podSelector, 'spec.podSelector', r);
  for (const [dir, peers] of [
    ['ingress', 'from'],
    ['egress', 'to'],
  ] as const) {
    asList(spec[dir]).forEach((rule, i) => {
      if (!isMap(rule)) return;
      const rp = join(join('spec', dir), i);
      asList(rule.ports).forEach((port, j) => validatePort(port, join(join(rp, 'ports'), j), r));
      asList(rule[peers]).forEach((peer, j) => validatePeer(peer, join(join(rp, peers), j), peers, r));
    });
  }
  validatePolicyTypes(spec.policyTypes, 'spec.policyTypes', r);
  return r.issues;
}
