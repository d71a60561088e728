// `netpol-harness explain` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('explain')
    .description('explain (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('explain is not implemented yet');
    });
}
