import * as df from 'durable-functions';
import { getKernel, getServices } from '../../composition/root';
import type { AgentTask } from '../../kernel/agents';
import { sendCallback, taskReplySignature } from '../../kernel/callbacks';
import type { StepResult } from '../../kernel/executor';
import type { PostedMessage } from '../../kernel/workflows';
import { activityNames } from './activity-names';
import type { CollaborativeTurnResult, NotifyInput } from './activity-names';

/**
 * The workflow's activities: thin wrappers over kernel services. Agent calls go
 * through the executor (policy, timeout, retries, circuit breaker, audit).
 */

interface ExecuteAgentInput {
  readonly task: AgentTask;
  readonly traceparent: string | null;
}

/** Where an agent that answers 202 posts its late reply. */
function replyUrl(task: AgentTask): string | undefined {
  const host = process.env['WEBSITE_HOSTNAME'];
  if (!host || !task.orchestration_id) return undefined;
  const scheme = host.startsWith('127.0.0.1') || host.startsWith('localhost') ? 'http' : 'https';
  const url = `${scheme}://${host}/api/orchestrations/${encodeURIComponent(task.orchestration_id)}/tasks/${encodeURIComponent(task.task_id)}/reply`;
  // The signature lets the agent post its reply without kernel credentials of its own.
  const secret = getKernel().config.callbackSigningSecret;
  return secret ? `${url}?sig=${taskReplySignature(secret, task.orchestration_id, task.task_id)}` : url;
}

async function execute(task: AgentTask, traceparent: string | null): Promise<StepResult> {
  const { executor } = await getServices();
  const url = replyUrl(task);
  return executor.execute({
    task: url ? { ...task, reply_url: url } : task,
    ...(traceparent ? { traceparent } : {}),
  });
}

df.app.activity(activityNames.executeAgent, {
  handler: (input: ExecuteAgentInput) => execute(input.task, input.traceparent),
});

/** How many transcript entries an agent sees in a collaborative turn. */
const transcriptWindow = 20;

df.app.activity(activityNames.collaborativeTurn, {
  handler: async (
    input: ExecuteAgentInput & { transcript_from: number; turn: number },
  ): Promise<CollaborativeTurnResult> => {
    const { transcripts, orchestrationStore } = await getServices();
    const orchestrationId = input.task.orchestration_id ?? '';
    const before = await transcripts.read(orchestrationId, { from: input.transcript_from });
    let total = input.transcript_from + before.length;
    const window = await transcripts.read(orchestrationId, { from: Math.max(0, total - transcriptWindow) });
    const result = await execute(
      {
        ...input.task,
        input: {
          turn: input.turn,
          transcript: window.map((e) => ({ agent_id: e.speaker, message: e.message })),
        },
      },
      input.traceparent,
    );
    if (result.status === 'succeeded') {
      await transcripts.append(orchestrationId, [
        {
          turn: input.turn,
          speaker: input.task.agent_id,
          message: result.message ?? '',
          ...(result.output === undefined ? {} : { output: result.output }),
          at: result.completed_at,
        },
      ]);
    }
    // Messages posted while the agent worked sit around its reply; pick them up too.
    const after = await transcripts.read(orchestrationId, { from: total });
    total += after.length;
    const posted: PostedMessage[] = [...before, ...after]
      .filter((entry) => entry.speaker.startsWith('user:') || entry.turn < 0)
      .map((entry) => {
        const to = (entry.output as { to?: unknown } | undefined)?.to;
        return { from: entry.speaker, message: entry.message, ...(typeof to === 'string' ? { to } : {}) };
      });
    const record = await orchestrationStore.get(orchestrationId);
    return { result, posted, transcript_length: total, stop_requested: record?.stop_requested ?? false };
  },
});

df.app.activity(activityNames.notify, {
  handler: async (input: NotifyInput): Promise<number> => {
    const secret = getKernel().config.callbackSigningSecret;
    if (!secret) throw new Error('AOS_CALLBACK_SIGNING_SECRET is not set; callbacks cannot be signed');
    return sendCallback(
      input.url,
      {
        event: input.event,
        orchestration_id: input.orchestration_id,
        status: input.status,
        payload: input.payload,
        sent_at: input.sent_at,
      },
      { secret },
    );
  },
});
