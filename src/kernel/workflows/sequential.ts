import type { StepResult } from './results';
import { stepValue } from './results';
import type { StepDefinition, WorkflowPlan } from './types';

/**
 * Sequential runs: each step gets what the step before it produced. Approval steps
 * produce nothing to hand on, so the step after an approval gets the output of the
 * last agent or sub-workflow step before it. The first step gets the request's
 * context. A step with a fixed `input` gets that instead.
 */
export function sequentialInput(
  plan: WorkflowPlan,
  step: StepDefinition,
  results: readonly StepResult[],
  context: Readonly<Record<string, unknown>>,
): unknown {
  if (step.kind !== 'approval' && step.input !== undefined) return step.input;
  const index = plan.steps.findIndex((candidate) => candidate.id === step.id);
  const byStep = new Map(results.map((result) => [result.step_id, result]));
  for (let position = index - 1; position >= 0; position -= 1) {
    const previous = plan.steps[position];
    if (previous === undefined || previous.kind === 'approval') continue;
    const result = byStep.get(previous.id);
    return result?.status === 'completed' ? (stepValue(result) ?? null) : null;
  }
  return context;
}
