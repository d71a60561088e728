// Command registry. One module per command keeps ownership and tests obvious.
import type { Command } from 'commander';
import * as diff from './diff.js';
import * as down from './down.js';
import * as explain from './explain.js';
import * as lint from './lint.js';
import * as run from './run.js';
import * as simulate from './simulate.js';
import * as validate from './validate.js';

export function registerCommands(program: Command): void {
  for (const m of [validate, simulate, explain, lint, run, diff, down]) m.register(program);
}
