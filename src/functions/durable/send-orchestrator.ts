import * as df from 'durable-functions';
import type { OrchestrationContext, Task } from 'durable-functions';
import type { AgentTask } from '../../kernel/agents';
import { activityNames } from './activity-names';

/**
 * Fire-and-forget delivery (POST /api/agents/{id}/send): a one-step durable run,
 * so the message reaches the agent (with the executor's retries) even though the
 * HTTP caller got its 202 long before.
 */

export const sendOrchestratorName = 'aos_send';

export interface SendInput {
  readonly agent_id: string;
  readonly purpose: string;
  readonly message: unknown;
  /** The sender's app (null: kernel-wide); absent in messages sent before it was added. */
  readonly app_id?: string | null;
}

df.app.orchestration(sendOrchestratorName, function* (context: OrchestrationContext): Generator<
  Task,
  unknown,
  unknown
> {
  const input = context.df.getInput<SendInput>();
  const task: AgentTask = {
    task_id: context.df.instanceId,
    orchestration_id: null,
    ...(input.app_id === undefined ? {} : { app_id: input.app_id }),
    agent_id: input.agent_id,
    workflow: null,
    step: 'send',
    purpose: { purpose: input.purpose, purpose_scope: 'send' },
    input: input.message,
    context: {},
  };
  return yield context.df.callActivity(activityNames.executeAgent, { task, traceparent: null });
});
