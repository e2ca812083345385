import type { StepResult } from './results';
import { stepValue } from './results';
import type { StepDefinition, WorkflowPlan } from './types';

/**
 * Walking a plan's steps by their dependencies. Sequential plans are chains (each
 * step depends on the one before), parallel plans have no dependencies, so the
 * same three questions drive all three: what may start, what can no longer run,
 * and are we done. Answers are always in plan order, so replays agree.
 *
 * The state is plain JSON (arrays of step ids) so it can ride in custom status and
 * continueAsNew input. Rejected approvals count as failed here.
 */

export interface DagState {
  readonly completed: readonly string[];
  readonly failed: readonly string[];
  readonly skipped: readonly string[];
  readonly running: readonly string[];
}

export const emptyDagState: DagState = { completed: [], failed: [], skipped: [], running: [] };

function settledOrRunning(state: DagState): Set<string> {
  return new Set([...state.completed, ...state.failed, ...state.skipped, ...state.running]);
}

/**
 * Steps that may start now: not started, every dependency completed. Under
 * `on_failure: 'fail'` nothing new starts once a step has failed.
 */
export function readySteps(plan: WorkflowPlan, state: DagState): StepDefinition[] {
  if (plan.on_failure === 'fail' && state.failed.length > 0) return [];
  const started = settledOrRunning(state);
  const completed = new Set(state.completed);
  return plan.steps.filter(
    (step) => !started.has(step.id) && step.depends_on.every((dependency) => completed.has(dependency)),
  );
}

/**
 * Steps that can never run: not started, and depending (directly or through other
 * steps) on a failed, rejected or skipped step. Under `on_failure: 'fail'`, once a
 * step has failed, every step not yet started.
 */
export function stepsToSkip(plan: WorkflowPlan, state: DagState): StepDefinition[] {
  const started = settledOrRunning(state);
  const pending = plan.steps.filter((step) => !started.has(step.id));
  if (plan.on_failure === 'fail' && state.failed.length > 0) return pending;

  const doomed = new Set([...state.failed, ...state.skipped]);
  // Plan order need not be dependency order, so propagate until nothing changes.
  let changed = true;
  while (changed) {
    changed = false;
    for (const step of pending) {
      if (!doomed.has(step.id) && step.depends_on.some((dependency) => doomed.has(dependency))) {
        doomed.add(step.id);
        changed = true;
      }
    }
  }
  return pending.filter((step) => doomed.has(step.id));
}

/**
 * True when nothing is running and nothing can start or be skipped. For a valid
 * (acyclic) plan that means every step completed, failed or was skipped.
 */
export function isFinished(plan: WorkflowPlan, state: DagState): boolean {
  return (
    state.running.length === 0 &&
    readySteps(plan, state).length === 0 &&
    stepsToSkip(plan, state).length === 0
  );
}

/** Marks steps as started. */
export function markRunning(state: DagState, stepIds: readonly string[]): DagState {
  const running = [...state.running];
  for (const id of stepIds) if (!running.includes(id)) running.push(id);
  return { ...state, running };
}

/** Records how a step ended (rejected approvals: 'failed'). */
export function markSettled(
  state: DagState,
  stepId: string,
  status: 'completed' | 'failed' | 'skipped',
): DagState {
  const without = (ids: readonly string[]): string[] => ids.filter((id) => id !== stepId);
  const next: DagState = {
    completed: without(state.completed),
    failed: without(state.failed),
    skipped: without(state.skipped),
    running: without(state.running),
  };
  return { ...next, [status]: [...next[status], stepId] };
}

/**
 * What a dag step receives: its fixed `input` if it has one; otherwise, with no
 * dependencies, the orchestration's context; otherwise the values of its
 * dependencies keyed by step id.
 */
export function dagStepInput(
  step: StepDefinition,
  results: readonly StepResult[],
  context: Readonly<Record<string, unknown>>,
): unknown {
  if ('input' in step && step.input !== undefined) return step.input;
  if (step.depends_on.length === 0) return context;
  const byStep = new Map(results.map((result) => [result.step_id, result]));
  const inputs: Record<string, unknown> = {};
  for (const dependency of step.depends_on) {
    const result = byStep.get(dependency);
    inputs[dependency] = result === undefined ? null : (stepValue(result) ?? null);
  }
  return inputs;
}
