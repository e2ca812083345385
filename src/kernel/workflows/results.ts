import type { AgentReply } from '../agents/types';
import type { StepDefinition, WorkflowPlan } from './types';

/**
 * Step results and how a finite workflow's results add up to its outcome. Shared by
 * sequential, parallel, dag and hierarchical runs.
 */

export type StepStatus = 'completed' | 'failed' | 'rejected' | 'skipped';

export interface StepResult {
  readonly step_id: string;
  /** The agent that ran the step; null for approval and sub-workflow steps. */
  readonly agent_id: string | null;
  readonly status: StepStatus;
  /** The agent's message (agent steps), or the approval's comment. */
  readonly message?: string;
  readonly output?: unknown;
  /** Why the step failed, was rejected or was skipped. */
  readonly error?: string;
}

export interface StepFailure {
  readonly step_id: string;
  readonly agent_id: string | null;
  readonly status: 'failed' | 'rejected';
  readonly error: string;
}

export interface WorkflowOutcome {
  readonly status: 'completed' | 'failed';
  /** Keyed by step id, in plan order. */
  readonly results: Readonly<Record<string, StepResult>>;
  readonly failures: readonly StepFailure[];
}

/** The result of an agent step that answered. */
export function completedStep(stepId: string, agentId: string | null, reply: AgentReply): StepResult {
  return {
    step_id: stepId,
    agent_id: agentId,
    status: 'completed',
    message: reply.message,
    ...(reply.output === undefined ? {} : { output: reply.output }),
  };
}

export function failedStep(stepId: string, agentId: string | null, error: string): StepResult {
  return { step_id: stepId, agent_id: agentId, status: 'failed', error };
}

export function skippedStep(step: StepDefinition, reason: string): StepResult {
  return {
    step_id: step.id,
    agent_id: step.kind === 'agent' ? step.agent_id : null,
    status: 'skipped',
    error: reason,
  };
}

/** What a finished step hands on: its output, or its message when it gave no output. */
export function stepValue(result: StepResult): unknown {
  return result.output !== undefined ? result.output : result.message;
}

/**
 * Adds step results up. Failed and rejected steps are failures; under
 * `on_failure: 'fail'` any failure fails the run, under `'collect'` the run completes
 * and lists them. Plan steps without a result are reported as skipped; results for
 * steps outside the plan (hierarchical specialists) follow in the order given.
 */
export function aggregateResults(plan: WorkflowPlan, results: readonly StepResult[]): WorkflowOutcome {
  const byStep = new Map<string, StepResult>();
  for (const result of results) if (!byStep.has(result.step_id)) byStep.set(result.step_id, result);

  const ordered: StepResult[] = plan.steps.map(
    (step) => byStep.get(step.id) ?? skippedStep(step, 'not run: the workflow ended before this step'),
  );
  const planned = new Set(plan.steps.map((step) => step.id));
  for (const result of byStep.values()) if (!planned.has(result.step_id)) ordered.push(result);

  const failures: StepFailure[] = [];
  for (const result of ordered) {
    if (result.status === 'failed' || result.status === 'rejected') {
      failures.push({
        step_id: result.step_id,
        agent_id: result.agent_id,
        status: result.status,
        error: result.error ?? result.status,
      });
    }
  }
  return {
    status: failures.length > 0 && plan.on_failure === 'fail' ? 'failed' : 'completed',
    results: Object.fromEntries(ordered.map((result) => [result.step_id, result])),
    failures,
  };
}
