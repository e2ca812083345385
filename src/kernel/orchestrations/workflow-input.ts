import type { CollaborativeState, OrchestrationPurpose, WorkflowPlan } from '../workflows';

/**
 * What the kernel hands the durable workflow orchestrator, and the names of the
 * events it listens for. Everything here is plain JSON: it lives in Durable
 * history.
 */

export interface WorkflowInput {
  readonly orchestration_id: string;
  /**
   * The app the orchestration belongs to (null: kernel-wide). Absent from inputs
   * of orchestrations started before it was added; their agent calls are then
   * audited under the agent's app.
   */
  readonly app_id?: string | null;
  readonly plan: WorkflowPlan;
  readonly purpose: OrchestrationPurpose;
  readonly context: Readonly<Record<string, unknown>>;
  readonly callback_url: string | null;
  readonly traceparent: string | null;
  /** Set for a sub-workflow: the parent orchestration and the step it runs. */
  readonly parent: { readonly orchestration_id: string; readonly step_id: string } | null;
  /** Collaborative runs carry their state across continueAsNew. */
  readonly collaborative: CollaborativeState | null;
  /** Seconds an agent that answered 202 has to post its reply. */
  readonly reply_timeout_seconds: number;
}

/** The orchestrator's output for finished runs; `/result` reads it. */
export interface WorkflowOutput {
  readonly ended_by: 'completed' | 'stopped' | 'max_turns' | 'failed';
  readonly status: 'completed' | 'failed';
  readonly results: Readonly<Record<string, unknown>>;
  readonly failures: readonly unknown[];
  readonly summary: string;
  readonly started_at: string;
  readonly completed_at: string;
  readonly turns?: number;
  readonly transcript_length?: number;
  readonly callback_error?: string;
}

export const workflowOrchestratorName = 'aos_workflow';

export const workflowEvents = {
  stop: 'aos.stop',
  approval: (stepId: string) => `aos.approval.${stepId}`,
  reply: (taskId: string) => `aos.reply.${taskId}`,
} as const;
