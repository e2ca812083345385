import { z } from 'zod';
import { timeoutSecondsSchema } from '../registration-schema';
import type { AgentTask, AgentTransport, TransportCall, TransportResult } from '../types';
import { TransportError } from '../types';

/**
 * The `servicebus` transport: sends the task to the agent's queue and returns
 * `accepted`; the agent's reply arrives later as a message (or at task.reply_url).
 * The broker is behind the AgentMessageSender port; the Service Bus adapter and
 * the reply triggers come with the messaging issue.
 */

export interface SendTaskOptions {
  /** The task id: the agent copies it onto its reply so the kernel can match them. */
  readonly correlationId: string;
  /** The queue the agent should reply to, when the agent registered one. */
  readonly replyTo?: string;
  readonly traceparent?: string;
}

export interface AgentMessageSender {
  /**
   * Hands the task to the broker. Throw a TransportError to say whether a retry can
   * help; anything else is treated as retryable.
   */
  sendTask(queue: string, task: AgentTask, options: SendTaskOptions): Promise<void>;
}

const queueName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/-]{0,259}$/, 'must be a Service Bus queue name');

export const serviceBusTransportSchema = z.strictObject({
  type: z.literal('servicebus'),
  queue: queueName,
  reply_queue: queueName.optional(),
  timeout_seconds: timeoutSecondsSchema.optional(),
});

const storedSchema = z.object({ queue: z.string().min(1), reply_queue: z.string().min(1).optional() });

export class ServiceBusTransport implements AgentTransport {
  readonly type = 'servicebus';

  constructor(private readonly sender: AgentMessageSender) {}

  async invoke(call: TransportCall): Promise<TransportResult> {
    const config = storedSchema.safeParse(call.agent.transport);
    if (!config.success) {
      throw new TransportError(
        `agent '${call.agent.agent_id}' has no usable servicebus transport`,
        false,
        undefined,
        { code: 'invalid_config' },
      );
    }
    const { queue, reply_queue } = config.data;
    try {
      await this.sender.sendTask(queue, call.task, {
        correlationId: call.task.task_id,
        ...(reply_queue === undefined ? {} : { replyTo: reply_queue }),
        ...(call.traceparent === undefined ? {} : { traceparent: call.traceparent }),
      });
    } catch (error) {
      if (error instanceof TransportError) throw error;
      throw new TransportError(`could not send the task to queue '${queue}'`, true, undefined, {
        code: 'send_failed',
        cause: error,
      });
    }
    return { kind: 'accepted' };
  }
}
