// `netpol-harness simulate` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('simulate')
    .description('simulate (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('simulate is not implemented yet');
    });
}
