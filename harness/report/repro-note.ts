// The repro commands of a kind run name the run's kubeconfig, a temporary file deleted with the
// cluster at the end. Said once after the run, so a reader does not paste a command whose file is gone.
import { existsSync } from 'node:fs';
import type { RunResult } from '../diff/result.js';

/** Kubeconfig files the run's repro commands name. */
export function reproKubeconfigs(run: RunResult): string[] {
  const out = new Set<string>();
  for (const step of run.steps) {
    for (const cell of step.cells) {
      const m = cell.observed?.repro !== undefined ? / --kubeconfig ('[^']*'|\S+)/.exec(cell.observed.repro) : null;
      if (m) out.add(m[1]!.replace(/^'|'$/g, ''));
    }
  }
  return [...out];
}

/** A note naming the repro commands' kubeconfig when it no longer exists; undefined otherwise. */
export function reproKubeconfigNote(run: RunResult, exists: (file: string) => boolean = existsSync): string | undefined {
  const gone = reproKubeconfigs(run).filter((f) => !exists(f));
  if (gone.length === 0) return undefined;
  const name = run.cluster?.name;
  return (
    `note: the repro commands name ${gone.join(', ')}, the run's temporary kubeconfig, deleted with the cluster. ` +
    `Rerun with --keep to keep both${name !== undefined ? ` (then \`netpol-harness down --cluster-name ${name}\` removes them)` : ''}.`
  );
}
