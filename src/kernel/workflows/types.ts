/**
 * Workflow plans: what a submitted orchestration request becomes once validated.
 * The durable orchestrator walks a plan with the pure decision functions in this
 * folder; it never reads the raw request.
 */

export type WorkflowKind = 'sequential' | 'parallel' | 'hierarchical' | 'collaborative' | 'dag';

export type StepDefinition =
  | {
      readonly id: string;
      readonly kind: 'agent';
      readonly agent_id: string;
      readonly depends_on: readonly string[];
      /** Fixed input for this step; otherwise the workflow decides (previous output, transcript…). */
      readonly input?: unknown;
    }
  | {
      readonly id: string;
      readonly kind: 'approval';
      readonly depends_on: readonly string[];
      readonly prompt: string;
      /** Who may decide (principal names); empty = anyone holding the approver role. */
      readonly approvers: readonly string[];
      readonly deadline_seconds: number;
      /** What happens when the deadline passes without a decision. */
      readonly default_outcome: 'approved' | 'rejected';
    }
  | {
      readonly id: string;
      readonly kind: 'workflow';
      readonly depends_on: readonly string[];
      readonly plan: WorkflowPlan;
      /** Fixed input for the sub-workflow (it becomes the sub-orchestration's context); otherwise as for agent steps. */
      readonly input?: unknown;
    };

export interface WorkflowPlan {
  readonly kind: WorkflowKind;
  readonly agent_ids: readonly string[];
  /** Steps for sequential and dag (sequential: run in order; dag: by depends_on). */
  readonly steps: readonly StepDefinition[];
  /** parallel: one failure fails the step ('fail') or is collected ('collect'). */
  readonly on_failure: 'fail' | 'collect';
  /** hierarchical: the coordinator agent. */
  readonly coordinator: string | null;
  /** collaborative: turn limit (a safety net; agents end it with [COMPLETE]). */
  readonly max_turns: number;
  /** collaborative: turns per durable execution before continueAsNew keeps history bounded. */
  readonly turns_per_execution: number;
}
