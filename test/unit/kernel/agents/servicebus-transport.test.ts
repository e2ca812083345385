import { describe, expect, it } from 'vitest';
import { MemoryAgentMessageSender } from '../../../../src/adapters/memory/memory-agent-message-sender';
import { TransportError } from '../../../../src/kernel/agents';
import { AgentExecutor } from '../../../../src/kernel/executor';
import { makeAgentServices, makeTask } from './fixtures';

/** The servicebus transport: hands the task to the broker port and reports `pending`. */

async function setUp(sender?: MemoryAgentMessageSender) {
  const services = makeAgentServices(sender === undefined ? {} : { messageSender: sender });
  await services.service.register(
    {
      agent_id: 'queued',
      purpose: 'Works from a queue',
      transport: { type: 'servicebus', queue: 'agent-queued', reply_queue: 'aos-agent-replies' },
      retry: { max_attempts: 2, backoff_ms: 0 },
    },
    { app_id: null },
  );
  const executor = new AgentExecutor({
    agents: services.registry,
    secrets: services.secrets,
    extensions: services.extensions,
    sleep: async () => undefined,
  });
  return { ...services, executor };
}

const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('servicebus transport', () => {
  it('sends the task to the agent queue, correlated by task id, and reports pending', async () => {
    const sender = new MemoryAgentMessageSender();
    const { executor } = await setUp(sender);
    const task = makeTask('queued', { task_id: 'task-77' });
    const result = await executor.execute({ task, traceparent });
    expect(result).toMatchObject({ status: 'pending', attempts: 1 });
    expect(result).not.toHaveProperty('message');
    expect(sender.sent).toEqual([
      {
        queue: 'agent-queued',
        task,
        options: { correlationId: 'task-77', replyTo: 'aos-agent-replies', traceparent },
      },
    ]);
  });

  it('retries a send that failed for an unknown reason', async () => {
    const sender = new MemoryAgentMessageSender();
    sender.failWith(new Error('socket hang up'));
    const { executor } = await setUp(sender);
    const result = await executor.execute({ task: makeTask('queued') });
    expect(result).toMatchObject({ status: 'pending', attempts: 2 });
    expect(sender.sent).toHaveLength(1);
  });

  it("keeps a sender's own non-retryable TransportError", async () => {
    const sender = new MemoryAgentMessageSender();
    sender.failWith(
      new TransportError('queue does not exist', false, undefined, { code: 'queue_missing' }),
      2,
    );
    const { executor } = await setUp(sender);
    const result = await executor.execute({ task: makeTask('queued') });
    expect(result).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'queue_missing', message: 'queue does not exist' },
    });
  });

  it('lets servicebus agents register without a sender; calls then fail with no_transport', async () => {
    const { executor } = await setUp();
    const result = await executor.execute({ task: makeTask('queued') });
    expect(result).toMatchObject({ status: 'failed', attempts: 0, error: { code: 'no_transport' } });
  });
});
