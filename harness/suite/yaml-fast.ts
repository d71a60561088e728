// A fast path for YAML values: js-yaml with a schema that resolves plain scalars exactly as the YAML
// 1.2 core schema of the `yaml` package does (the reference parser here, which keeps positions for
// error messages). Parsing every suite and policy file with `yaml` cost a cold CLI about a third of
// `validate`'s time; js-yaml does the same in a fraction. Whatever the fast path is not certain to read
// identically (tabs, anchors and aliases, tags, directives, complex keys, or any error) is left to
// `yaml` (undefined is returned), so error messages and edge cases are `yaml`'s, always.
import jsyaml from 'js-yaml';

const scalar = (tag: string, resolve: (s: string) => boolean, construct: (s: string) => unknown): jsyaml.Type =>
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, { kind: 'scalar', resolve: (s: string | null) => resolve(s ?? ''), construct: (s: string | null) => construct(s ?? '') });

const intResolve = (s: string, offset: number, radix: number): number => parseInt(s.substring(offset), radix);

// The `yaml` package's core schema tests, in its order (yaml/dist/schema/core/*.js, common/null.js).
const CORE = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalar('null', (s) => /^(?:~|[Nn]ull|NULL)?$/.test(s), () => null),
    scalar('bool', (s) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s), (s) => s[0] === 't' || s[0] === 'T'),
    scalar('int', (s) => /^0o[0-7]+$/.test(s) || /^[-+]?[0-9]+$/.test(s) || /^0x[0-9a-fA-F]+$/.test(s), (s) =>
      s.startsWith('0o') ? intResolve(s, 2, 8) : s.startsWith('0x') ? intResolve(s, 2, 16) : intResolve(s, 0, 10),
    ),
    scalar(
      'float',
      (s) => /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s) || /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s) || /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s),
      (s) => (s.slice(-3).toLowerCase() === 'nan' ? NaN : s.slice(-3).toLowerCase() === 'inf' ? (s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
    ),
  ],
});

/** Constructs the fast path leaves to `yaml`: tabs, anchors (&), tags (!), directives (%), complex keys (?). */
const UNSURE = /\t|&|(?:^|[\s[{,])!|^%|^\s*\?(?:\s|$)/m;

/** Every non-empty document's value, or undefined when `yaml` must read this text. */
export function fastYamlValues(text: string): unknown[] | undefined {
  if (UNSURE.test(text)) return undefined;
  try {
    const docs: unknown[] = [];
    jsyaml.loadAll(text, (d) => docs.push(d), { schema: CORE, json: false });
    // Empty documents (a trailing `---`, a comment-only section) are skipped, as in the `yaml` path.
    return docs.filter((d) => d !== null && d !== undefined);
  } catch {
    return undefined;
  }
}
