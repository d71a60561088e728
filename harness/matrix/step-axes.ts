// The matrix axes of one step: only the sources and destinations present after it (presence.ts).
// A workload or probe that has not joined yet, or has left, has no cells in that step: it is not
// probed and not reported, rather than shown as a deny. Externals and existing workloads are
// always there. Without dynamics this is buildAxes itself.
import { hasDynamics, presenceAtStep } from '../suite/presence.js';
import type { Suite } from '../suite/schema.js';
import { buildAxes, type Axes } from './axes.js';

export function axesAtStep(suite: Suite, stepIndex: number, all: Axes = buildAxes(suite)): Axes {
  if (!hasDynamics(suite)) return all;
  const present = presenceAtStep(suite, stepIndex).endpoints;
  const here = (e: { id: string; kind: string }): boolean => e.kind === 'external' || present.has(e.id);
  const destinations = all.destinations.filter(here);
  const ids = new Set(destinations.map((d) => d.id));
  return {
    sources: all.sources.filter(here),
    destinations,
    columns: all.columns.filter((c) => c.kind === 'dns' || ids.has(c.dst)),
  };
}
