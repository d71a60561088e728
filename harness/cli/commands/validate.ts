// `netpol-harness validate` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('validate')
    .description('validate (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('validate is not implemented yet');
    });
}
