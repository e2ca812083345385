import type { StepDefinition } from './types';

/**
 * Parallel runs (fan-out/fan-in): every step gets the same input, the request's
 * context, unless it names a fixed `input`. Results add up with
 * `aggregateResults`, which honours `on_failure`.
 */
export function parallelInput(step: StepDefinition, context: Readonly<Record<string, unknown>>): unknown {
  if (step.kind !== 'approval' && step.input !== undefined) return step.input;
  return context;
}
