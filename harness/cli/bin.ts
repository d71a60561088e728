#!/usr/bin/env node
import module from 'node:module';
import { packageVersion } from './version.js';

const argv = process.argv.slice(2);
// A reader that stops early (`| head`) closes the pipe: stop quietly instead of crashing on EPIPE.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  // Answered before anything else loads: the cheapest possible start.
  process.stdout.write(`${packageVersion()}\n`);
} else {
  // Node >= 22.1 caches compiled code on disk: a faster start for every later invocation.
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
