// Plain scalars resolved as kubectl and client-go resolve them: sigs.k8s.io/yaml converts YAML to
// JSON through go-yaml v2, which follows YAML 1.1 (yes/no/on/off/y/n are booleans, 0755 is octal,
// 5_432 is 5432, `<<` merges). Reading the same text as YAML 1.2 would accept a suite or policy
// that kubectl reads differently; docs/yaml.md has the table. A js-yaml schema, because js-yaml is
// fast and keeps anchors as shared references (alias bombs are bounded by result size, in
// yaml-source.ts), and its errors carry a line.
import jsyaml from 'js-yaml';

// go-yaml v2 resolve.go: its map of booleans, nulls and special floats.
const TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'];
const FALSE = ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'];
const NULL = ['', '~', 'null', 'Null', 'NULL'];
const SPECIAL = new Map<string, number>([
  ...['.nan', '.NaN', '.NAN'].map((s) => [s, NaN] as const),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s) => [s, Infinity] as const),
  ...['-.inf', '-.Inf', '-.INF'].map((s) => [s, -Infinity] as const),
]);
const BOOLS = new Map<string, boolean>([...TRUE.map((s) => [s, true] as const), ...FALSE.map((s) => [s, false] as const)]);

// Go's strconv.ParseInt(s, 0, 64): 0x/0o/0b prefixes, a bare leading 0 is octal.
const GO_INT = /^([-+]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const YAML_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

function goInt(plain: string): number | undefined {
  const m = GO_INT.exec(plain);
  if (!m) return undefined;
  const [, sign, body] = m as unknown as [string, string, string];
  const lower = body.toLowerCase();
  const digits = /^0[xob]/.test(lower) ? lower : body.length > 1 && body.startsWith('0') ? `0o${body.slice(1)}` : body;
  const v = sign === '-' ? -BigInt(digits) : BigInt(digits);
  // ParseInt, then ParseUint (which takes no sign); beyond both it is not an int.
  if (v >= INT64_MIN && (v < 2n ** 63n || (sign === '' && v <= UINT64_MAX))) return Number(v);
  return undefined;
}

/** The number go-yaml v2 reads from a plain scalar, or undefined when it stays a string. */
export function goNumber(s: string): number | undefined {
  const special = SPECIAL.get(s);
  if (special !== undefined) return special;
  if (!/^[-+0-9.]/.test(s)) return undefined;
  // Underscores are dropped before parsing (5_432 is 5432), except after a leading '.'.
  const plain = s.startsWith('.') ? s : s.replace(/_/g, '');
  const int = s.startsWith('.') ? undefined : goInt(plain);
  if (int !== undefined) return int;
  if (!YAML_FLOAT.test(plain)) return undefined;
  const f = Number(plain);
  // Out of float64 range, Go's ParseFloat fails and the scalar stays a string.
  return Number.isFinite(f) ? f : undefined;
}

/** How kubectl reads a plain (unquoted) scalar: null, boolean, number or the string itself. */
export function kubeScalar(s: string): null | boolean | number | string {
  if (NULL.includes(s)) return null;
  const b = BOOLS.get(s);
  if (b !== undefined) return b;
  return goNumber(s) ?? s;
}

const scalar = (tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown): jsyaml.Type =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: (s: string | null) => resolve(s ?? ''), construct: (s: string | null) => construct(s ?? '') });

/** js-yaml schema: strings, lists and maps, with go-yaml v2's implicit scalars and merge keys. */
export const KUBE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', (s) => NULL.includes(s), () => null),
    scalar('bool', (s) => BOOLS.has(s), (s) => BOOLS.get(s)),
    // One type for ints and floats: JSON has one number type, as the API server sees it.
    scalar('float', (s) => goNumber(s) !== undefined, (s) => goNumber(s)),
    (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge,
  ],
});
