// Remembers which matrix axes a step result belongs to, so assertions can render and re-expand it
// without the (serialisable) StepResult carrying the whole suite model.
import type { StepResult } from '../diff/result.js';
import type { Axes } from '../matrix/axes.js';

const axesByStep = new WeakMap<StepResult, Axes>();

export function registerStepAxes(step: StepResult, axes: Axes): void {
  axesByStep.set(step, axes);
}

export function axesOfStep(step: StepResult): Axes | undefined {
  return axesByStep.get(step);
}
