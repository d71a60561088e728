// The table docs/yaml.md shows: a plain scalar, how kubectl (go-yaml v2 via sigs.k8s.io/yaml) reads
// it, how a YAML 1.2 parser reads it, and what happens here. Shared by the test and the doc check.
export interface Row {
  text: string;
  kubectl: unknown;
  yaml12: unknown;
  /** What netpol-harness reads: always kubectl's reading. */
  ours: unknown;
}

const row = (text: string, kubectl: unknown, yaml12: unknown): Row => ({ text, kubectl, yaml12, ours: kubectl });

export const TABLE: Row[] = [
  row('05432', 2842, 5432),
  row('0755', 493, 755),
  row('0o17', 15, 15),
  row('0x1F', 31, 31),
  row('0b101', 5, '0b101'),
  row('5_432', 5432, '5_432'),
  row('09', 9, 9),
  row('+12', 12, 12),
  row('1e3', 1000, 1000),
  row('.5', 0.5, 0.5),
  row('1:20', '1:20', '1:20'),
  row('2020-01-01', '2020-01-01', '2020-01-01'),
  row('yes', true, 'yes'),
  row('Yes', true, 'Yes'),
  row('NO', false, 'NO'),
  row('on', true, 'on'),
  row('Off', false, 'Off'),
  row('y', true, 'y'),
  row('n', false, 'n'),
  row('true', true, true),
  row('False', false, false),
  row('~', null, null),
  row('null', null, null),
  row('', null, null),
  row('yes please', 'yes please', 'yes please'),
  row('0x', '0x', '0x'),
];
