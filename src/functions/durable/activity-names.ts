import type { StepResult } from '../../kernel/executor';
import type { PostedMessage } from '../../kernel/workflows';

/** Activity names and payloads shared by the orchestrator and the activities. */

export const activityNames = {
  executeAgent: 'aos_execute_agent',
  collaborativeTurn: 'aos_collaborative_turn',
  notify: 'aos_notify',
} as const;

export interface CollaborativeTurnResult {
  readonly result: StepResult;
  /** Messages posted into the conversation since the last turn. */
  readonly posted: PostedMessage[];
  readonly transcript_length: number;
  readonly stop_requested: boolean;
}

export interface NotifyInput {
  readonly url: string;
  readonly event: 'status_changed' | 'completed';
  readonly orchestration_id: string;
  readonly status: string;
  readonly payload: unknown;
  readonly sent_at: string;
}
