import { z } from 'zod';
import { KernelError } from '../errors';
import type { StepDefinition } from './types';

/**
 * Approval gates: a step that waits for an approver's decision or its deadline,
 * whichever comes first. The orchestrator races the decision event against a
 * durable timer set at `approvalDeadline(step, currentUtcDateTime)`.
 */

export type ApprovalStep = Extract<StepDefinition, { kind: 'approval' }>;

export type ApprovalOutcomeValue = 'approved' | 'rejected';

export interface ApprovalDecision {
  readonly outcome: ApprovalOutcomeValue;
  /** The principal name of who decided (from authentication, never from the body). */
  readonly approver: string;
  readonly comment?: string;
}

export interface ApprovalOutcome {
  readonly outcome: ApprovalOutcomeValue;
  /** The approver, or 'deadline' when the default outcome applied. */
  readonly decided_by: string;
  readonly comment?: string;
}

/** The body of a decision posted to a waiting approval step. */
export const approvalDecisionBodySchema = z.strictObject({
  outcome: z.enum(['approved', 'rejected'], { error: "must be 'approved' or 'rejected'" }),
  comment: z.string().max(4000).optional(),
});

/** A decision, when there is one, wins; otherwise the deadline applies the step's default outcome. */
export function approvalOutcome(input: {
  readonly decision?: ApprovalDecision;
  readonly timed_out: boolean;
  readonly default_outcome: ApprovalOutcomeValue;
}): ApprovalOutcome {
  const { decision } = input;
  if (decision !== undefined) {
    return {
      outcome: decision.outcome,
      decided_by: decision.approver,
      ...(decision.comment === undefined ? {} : { comment: decision.comment }),
    };
  }
  if (input.timed_out) return { outcome: input.default_outcome, decided_by: 'deadline' };
  throw new KernelError('internal', 'Approval still pending', {
    detail: 'approvalOutcome needs a decision or an expired deadline.',
  });
}

/**
 * Whether a principal may decide this step. An empty approver list means anyone
 * the caller has already authorised as an approver. Names compare without regard
 * to case, as Entra principal names do.
 */
export function canApprove(step: ApprovalStep, principalName: string): boolean {
  if (principalName.trim() === '') return false;
  if (step.approvers.length === 0) return true;
  const name = principalName.toLowerCase();
  return step.approvers.some((approver) => approver.toLowerCase() === name);
}

/** When the step's deadline passes, counted from when the step started waiting. */
export function approvalDeadline(step: ApprovalStep, startedAt: Date): Date {
  return new Date(startedAt.getTime() + step.deadline_seconds * 1000);
}
