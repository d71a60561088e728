// `netpol-harness diff` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('diff')
    .description('diff (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('diff is not implemented yet');
    });
}
