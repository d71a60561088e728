// Writing YAML that reads back as written, by us and by kubectl (YAML 1.1: a string "y", "on" or
// "0755" must be quoted). The `yaml` package's 1.1 mode quotes most of them; where its reading and
// go-yaml's still part (e.g. "0o17"), every string is written double-quoted instead.
import { isDeepStrictEqual } from 'node:util';
import jsyaml from 'js-yaml';
import { stringify, type DocumentOptions, type SchemaOptions, type ToStringOptions } from 'yaml';
import { KUBE_SCHEMA } from './yaml-kube.js';

export function toYaml(value: unknown, opts: DocumentOptions & SchemaOptions & ToStringOptions = {}): string {
  const text = stringify(value, { ...opts, version: '1.1' });
  if (isDeepStrictEqual(jsyaml.load(text, { schema: KUBE_SCHEMA }), JSON.parse(JSON.stringify(value ?? null)))) return text;
  return stringify(value, { ...opts, version: '1.1', defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' });
}
