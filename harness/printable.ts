// Text from a suite or policy (descriptions, reasons, keys, file names) may hold control characters
// written as YAML escapes ("\a", "\0", "\e[2J"): printed raw they ring the bell, cut C strings or
// rewrite the terminal. Every output (terminal, summary.md, report.html, error messages) shows them
// as \u escapes instead, as JSON would. Tab and newline stay; bidi overrides are escaped too.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
