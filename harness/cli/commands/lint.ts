// `netpol-harness lint` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('lint')
    .description('lint (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('lint is not implemented yet');
    });
}
