#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 caches compiled code on disk: a faster start for every later invocation.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./main.js');
process.exitCode = await main(process.argv.slice(2));
