import type { AgentRecord, AgentTask } from '../agents';

/**
 * What the executor asks of the rest of the kernel: a policy decision before each
 * call (governance) and a place to write what happened (audit).
 */

export type PolicyDecision = { readonly allow: true } | { readonly allow: false; readonly reason: string };

export interface PolicyGate {
  decide(input: {
    readonly agent: AgentRecord;
    readonly task: AgentTask;
  }): PolicyDecision | Promise<PolicyDecision>;
}

/** The default until governance arrives: every call is allowed. */
export const allowAllPolicyGate: PolicyGate = {
  decide: () => ({ allow: true }),
};

export type StepStatus = 'succeeded' | 'failed' | 'denied' | 'pending';

/**
 * One agent call, as the audit trail records it. By design it has no field for the
 * task input, the reply, or any secret: only who, what, how it ended and how long.
 */
export interface AgentCallAuditRecord {
  readonly event_type: 'agent.call';
  readonly subject_id: string;
  readonly subject_type: 'agent';
  readonly action: 'call';
  /** The app the work was done for: the task's, else the agent's (null: kernel-wide). */
  readonly app_id: string | null;
  /** The agent's own app (null for a shared agent, or when the agent was unknown). */
  readonly agent_app_id: string | null;
  readonly outcome: StepStatus;
  readonly task_id: string;
  readonly orchestration_id: string | null;
  readonly step: string;
  /** The transport type used (null when the agent was unknown or had none). */
  readonly transport: string | null;
  readonly duration_ms: number;
  readonly attempts: number;
  readonly error_code?: string;
  /** For denials: the policy's reason. */
  readonly reason?: string;
  readonly timestamp: string;
}

export interface AuditSink {
  write(record: AgentCallAuditRecord): Promise<void>;
}

/** Writes nowhere; for callers that have no audit trail yet. */
export const discardAuditSink: AuditSink = {
  write: async () => undefined,
};
