// `netpol-harness run` (placeholder until its issue lands).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';

export function register(program: Command): void {
  program
    .command('run')
    .description('run (not implemented yet)')
    .allowUnknownOption()
    .action(() => {
      throw new UsageError('run is not implemented yet');
    });
}
