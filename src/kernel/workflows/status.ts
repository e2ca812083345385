import { z } from 'zod';
import { planLength } from './plan';
import { workflowKinds } from './request';
import type { WorkflowKind, WorkflowPlan } from './types';

/**
 * What an orchestration reports while it runs (its Durable custom status) and how
 * Durable's runtime status becomes the contract's status.
 */

export type ContractStatus = 'pending' | 'active' | 'completed' | 'stopped' | 'cancelled' | 'failed';

export type DurableRuntimeStatus =
  'Pending' | 'Running' | 'Completed' | 'ContinuedAsNew' | 'Failed' | 'Canceled' | 'Terminated' | 'Suspended';

export type OrchestrationPhase =
  /** Started, nothing dispatched yet. */
  | 'starting'
  /** Running agent/sub-workflow steps or turns. */
  | 'running'
  /** Waiting on an approval step (see waiting_for). */
  | 'awaiting_approval'
  /** hierarchical: the coordinator is choosing specialists. */
  | 'delegating'
  /** hierarchical: specialists are running. */
  | 'specialists'
  /** hierarchical: the coordinator is integrating results. */
  | 'integrating'
  | 'finished';

/** How a run ended: collaborative ends, plus 'failed' for a finite run whose outcome failed. */
export type OrchestrationEnd = 'completed' | 'stopped' | 'max_turns' | 'failed';

/**
 * The custom status the orchestrator publishes (keep it small: Durable caps custom
 * status at 16 KB). Set `ended_by` in the last status and in the output.
 */
export interface OrchestrationCustomStatus {
  readonly phase: OrchestrationPhase;
  readonly workflow?: WorkflowKind;
  /** collaborative: turns taken so far, across executions. */
  readonly turn?: number;
  readonly next_speaker?: string;
  readonly transcript_length?: number;
  /** Finite workflows: steps settled so far (completed, failed, rejected or skipped). */
  readonly completed_steps?: number;
  /** Set when the length becomes known late (hierarchical, after delegation). */
  readonly total_steps?: number;
  /** sequential: the step running now. */
  readonly current_step?: string;
  /** parallel / dag / hierarchical specialists: the steps running now. */
  readonly running_steps?: readonly string[];
  readonly waiting_for?: {
    readonly step_id: string;
    readonly approvers: readonly string[];
    /** ISO-8601 UTC. */
    readonly deadline: string;
  };
  readonly stop_requested?: boolean;
  readonly ended_by?: OrchestrationEnd;
}

const count = z.number().int().nonnegative();

const customStatusSchema = z.object({
  phase: z.enum([
    'starting',
    'running',
    'awaiting_approval',
    'delegating',
    'specialists',
    'integrating',
    'finished',
  ]),
  workflow: z.enum(workflowKinds).optional(),
  turn: count.optional(),
  next_speaker: z.string().optional(),
  transcript_length: count.optional(),
  completed_steps: count.optional(),
  total_steps: count.optional(),
  current_step: z.string().optional(),
  running_steps: z.array(z.string()).optional(),
  waiting_for: z
    .object({ step_id: z.string(), approvers: z.array(z.string()), deadline: z.string() })
    .optional(),
  stop_requested: z.boolean().optional(),
  ended_by: z.enum(['completed', 'stopped', 'max_turns', 'failed']).optional(),
});

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** Reads a custom status back (it arrives as untyped JSON); null when it is not one of ours. */
export function readCustomStatus(value: unknown): OrchestrationCustomStatus | null {
  const parsed = customStatusSchema.safeParse(value);
  return parsed.success ? (withoutUndefined(parsed.data) as OrchestrationCustomStatus) : null;
}

function endedBy(value: unknown): OrchestrationEnd | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const ended = record['ended_by'];
  if (ended === 'completed' || ended === 'stopped' || ended === 'max_turns' || ended === 'failed')
    return ended;
  // A finite run's WorkflowOutcome carries only `status`.
  if (record['status'] === 'failed') return 'failed';
  return undefined;
}

/**
 * The contract's status for a Durable runtime status. A run that completed reports
 * `stopped` when it ended on a stop request and `failed` when its outcome failed
 * (the orchestrator returns a failed outcome rather than throwing, to keep the
 * results); the output decides, the custom status is the fallback. Unknown runtime
 * statuses count as `active`: not terminal, so clients keep polling.
 */
export function contractStatus(
  /** A DurableRuntimeStatus; any casing (the Durable HTTP API and SDKs differ). */
  runtimeStatus: string,
  customStatus?: unknown,
  output?: unknown,
): ContractStatus {
  switch (runtimeStatus.toLowerCase()) {
    case 'pending':
      return 'pending';
    case 'running':
    case 'continuedasnew':
    case 'suspended':
      return 'active';
    case 'completed': {
      const ended = endedBy(output) ?? endedBy(customStatus);
      if (ended === 'stopped') return 'stopped';
      if (ended === 'failed') return 'failed';
      return 'completed';
    }
    case 'terminated':
    case 'canceled':
    case 'cancelled':
      return 'cancelled';
    case 'failed':
      return 'failed';
    default:
      return 'active';
  }
}

export interface Progress {
  readonly completed_steps: number;
  readonly total_steps: number;
}

/**
 * Progress of a finite run: settled steps out of the plan's length (or the total
 * the orchestrator published once it knew it). Null for collaborative runs and
 * while the length is unknown.
 */
export function progress(plan: WorkflowPlan, customStatus: unknown): Progress | null {
  if (plan.kind === 'collaborative') return null;
  const status = readCustomStatus(customStatus);
  const total = status?.total_steps ?? planLength(plan);
  if (total === null) return null;
  return { completed_steps: Math.min(status?.completed_steps ?? 0, total), total_steps: total };
}
