import type { AgentReply } from '../agents/types';
import type { OrchestrationPurpose } from './request';
import type { StepResult } from './results';
import type { WorkflowPlan } from './types';

/**
 * Hierarchical runs, in three phases: the coordinator is asked to delegate, the
 * chosen specialists run in parallel, and the coordinator integrates their results.
 */

export interface DelegateInput {
  readonly phase: 'delegate';
  readonly purpose: OrchestrationPurpose;
  readonly specialists: readonly string[];
}

export interface Delegation {
  /** Step id of the specialist's run: the agent id. */
  readonly step_id: string;
  readonly agent_id: string;
  readonly input: unknown;
}

export interface IgnoredDelegation {
  /** Position in `output.delegate`. */
  readonly index: number;
  readonly agent_id: string | null;
  readonly reason: string;
}

export interface DelegationPlan {
  /** 'coordinator': taken from `output.delegate`; 'default': every specialist, with the coordinator's message. */
  readonly source: 'coordinator' | 'default';
  readonly delegations: readonly Delegation[];
  /** Entries of `output.delegate` that were not used, and why (for the audit trail). */
  readonly ignored: readonly IgnoredDelegation[];
}

export interface IntegrateInput {
  readonly phase: 'integrate';
  readonly results: Readonly<Record<string, StepResult>>;
}

/** The agents other than the coordinator, in agent_ids order. */
export function specialistsOf(plan: WorkflowPlan): string[] {
  return plan.agent_ids.filter((agentId) => agentId !== plan.coordinator);
}

/** What the coordinator receives first. */
export function delegateInput(plan: WorkflowPlan, purpose: OrchestrationPurpose): DelegateInput {
  return { phase: 'delegate', purpose, specialists: specialistsOf(plan) };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Reads the coordinator's delegation from `reply.output.delegate`:
 * `[{agent_id, input?}]`. Entries naming an agent that is not a specialist (the
 * coordinator included), repeats and malformed entries are ignored and listed. An
 * entry without `input` gets the coordinator's message. An explicit empty list
 * means "no specialists needed"; a missing or malformed `delegate` means every
 * specialist, with the coordinator's message as input.
 */
export function delegationFrom(reply: AgentReply, plan: WorkflowPlan): DelegationPlan {
  const specialists = specialistsOf(plan);
  const everyone = (ignored: IgnoredDelegation[]): DelegationPlan => ({
    source: 'default',
    delegations: specialists.map((agentId) => ({
      step_id: agentId,
      agent_id: agentId,
      input: reply.message,
    })),
    ignored,
  });

  const delegate = isRecord(reply.output) ? reply.output['delegate'] : undefined;
  if (delegate === undefined || delegate === null) return everyone([]);
  if (!Array.isArray(delegate)) {
    return everyone([{ index: 0, agent_id: null, reason: 'output.delegate is not a list' }]);
  }

  const delegations: Delegation[] = [];
  const ignored: IgnoredDelegation[] = [];
  delegate.forEach((entry: unknown, index) => {
    const agentId = isRecord(entry) && typeof entry['agent_id'] === 'string' ? entry['agent_id'] : null;
    if (agentId === null) {
      ignored.push({ index, agent_id: null, reason: 'entry has no agent_id' });
    } else if (!specialists.includes(agentId)) {
      ignored.push({
        index,
        agent_id: agentId,
        reason:
          agentId === plan.coordinator ? 'the coordinator cannot delegate to itself' : 'not a specialist',
      });
    } else if (delegations.some((delegation) => delegation.agent_id === agentId)) {
      ignored.push({ index, agent_id: agentId, reason: 'specialist already delegated to' });
    } else {
      const input = isRecord(entry) && entry['input'] !== undefined ? entry['input'] : reply.message;
      delegations.push({ step_id: agentId, agent_id: agentId, input });
    }
  });
  return { source: 'coordinator', delegations, ignored };
}

/** What the coordinator receives last: the specialists' results keyed by step id. */
export function integrationInput(results: readonly StepResult[]): IntegrateInput {
  return {
    phase: 'integrate',
    results: Object.fromEntries(results.map((result) => [result.step_id, result])),
  };
}
