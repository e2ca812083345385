import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { getServices } from '../../composition/root';
import type { AgentRecord } from '../../kernel/agents';
import { agentIdSchema, agentVisibleTo } from '../../kernel/agents';
import type { Principal } from '../../kernel/auth/access';
import { KernelError } from '../../kernel/errors';
import { sendOrchestratorName } from '../durable/send-orchestrator';
import { callerOf } from './caller';
import { defineRoute, mountDurableRoute, mountRoute } from './mount-route';

/** The agents API of contract.md: register, list, get, ask, send, message. */

const idParams = z.object({ id: agentIdSchema });

/** Another app's agent answers exactly like a missing one. */
async function visibleGet(agentId: string, principal: Principal | undefined): Promise<AgentRecord> {
  const { agents } = await getServices();
  const record = await agents.get(agentId);
  if (!agentVisibleTo(callerOf(principal).app_id, record)) {
    throw KernelError.notFound('Agent', `No agent with id '${agentId}'.`);
  }
  return record;
}
const askBody = z.strictObject({
  message: z.string().min(1).max(1_000_000),
  context: z.record(z.string(), z.unknown()).default({}),
});
const messageBody = z.strictObject({
  message: z.union([z.string().min(1).max(1_000_000), z.record(z.string(), z.unknown())]),
  orchestration_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .nullish(),
  direction: z.enum(['inbound', 'outbound', 'agent_to_agent', 'user_to_agent']).default('inbound'),
});

mountRoute({
  name: 'agents_register',
  method: 'POST',
  route: 'agents/register',
  body: z.unknown(),
  async handle({ body, principal }) {
    const { agents } = await getServices();
    const { record, created } = await agents.register(body, { app_id: callerOf(principal).app_id });
    return { status: created ? 201 : 200, body: agents.toWire(record) };
  },
});

mountRoute({
  name: 'agents_list',
  method: 'GET',
  route: 'agents',
  query: z.strictObject({ agent_type: z.string().min(1).max(128).optional() }),
  async handle({ query, principal }) {
    const { agents } = await getServices();
    const appId = callerOf(principal).app_id;
    // Kernel-wide callers see every agent; an app sees its own and the kernel-wide ones.
    const records = (await agents.list(query.agent_type)).filter((r) => agentVisibleTo(appId, r));
    return { status: 200, body: { agents: records.map((record) => agents.toWire(record)) } };
  },
});

mountRoute({
  name: 'agents_get',
  method: 'GET',
  route: 'agents/{id}',
  params: idParams,
  async handle({ params, principal }) {
    const { agents } = await getServices();
    return { status: 200, body: agents.toWire(await visibleGet(params.id, principal)) };
  },
});

mountRoute({
  name: 'agents_ask',
  method: 'POST',
  route: 'agents/{id}/ask',
  params: idParams,
  body: askBody,
  async handle({ params, body, request, principal }) {
    const { executor } = await getServices();
    const agent = await visibleGet(params.id, principal);
    const traceparent = request.headers.get('traceparent');
    const result = await executor.execute({
      task: {
        task_id: `ask-${randomUUID()}`,
        orchestration_id: null,
        app_id: callerOf(principal).app_id,
        agent_id: agent.agent_id,
        workflow: null,
        step: 'ask',
        purpose: { purpose: agent.purpose, purpose_scope: 'ask' },
        input: body.message,
        context: body.context,
      },
      ...(traceparent ? { traceparent } : {}),
    });
    if (result.status !== 'succeeded') {
      const reason =
        result.status === 'pending'
          ? 'the agent accepted the task for a later reply, but ask needs an answer now'
          : (result.error?.message ?? result.status);
      throw new KernelError(result.status === 'denied' ? 'forbidden' : 'bad_gateway', 'Agent call failed', {
        detail: `Agent '${agent.agent_id}' did not answer: ${reason}`,
        extensions: {
          agent_id: agent.agent_id,
          error_code: result.error?.code ?? result.status,
          attempts: result.attempts,
          // A policy's no, recorded as the agent.call entry: not an access refusal of the caller.
          ...(result.status === 'denied' ? { denied_by: 'policy' } : {}),
        },
      });
    }
    return {
      status: 200,
      body: {
        agent_id: agent.agent_id,
        message: result.message ?? '',
        context: body.context,
        timestamp: result.completed_at,
        ...(result.output === undefined ? {} : { output: result.output }),
        ...(result.route === undefined ? {} : { route: result.route }),
      },
    };
  },
});

mountDurableRoute({ name: 'agents_send', method: 'POST', route: 'agents/{id}/send' }, (engine) =>
  defineRoute({
    name: 'agents_send',
    method: 'POST',
    route: 'agents/{id}/send',
    params: idParams,
    body: z.unknown().refine((value) => value !== undefined, 'a JSON message is required'),
    async handle({ params, body, principal }) {
      const agent = await visibleGet(params.id, principal);
      const messageId = `send-${randomUUID()}`;
      await engine.startNamed(sendOrchestratorName, messageId, {
        agent_id: agent.agent_id,
        purpose: agent.purpose,
        message: body,
        app_id: callerOf(principal).app_id,
      });
      return { status: 202, body: { message_id: messageId, status: 'accepted' } };
    },
  }),
);

mountDurableRoute({ name: 'agents_message', method: 'POST', route: 'agents/{id}/message' }, (engine) =>
  defineRoute({
    name: 'agents_message',
    method: 'POST',
    route: 'agents/{id}/message',
    params: idParams,
    body: messageBody,
    async handle({ params, body, principal }) {
      const { orchestrations } = await getServices();
      const agent = await visibleGet(params.id, principal);
      const acceptedAt = new Date().toISOString();
      if (body.orchestration_id) {
        const text = typeof body.message === 'string' ? body.message : JSON.stringify(body.message);
        const posted = await orchestrations.postMessage(
          body.orchestration_id,
          { message: text, from: agent.agent_id },
          callerOf(principal),
          engine,
        );
        return {
          status: 202,
          body: {
            message_id: posted.message_id,
            agent_id: agent.agent_id,
            orchestration_id: body.orchestration_id,
            direction: body.direction,
            status: 'accepted',
            accepted_at: posted.accepted_at,
          },
        };
      }
      const messageId = `message-${randomUUID()}`;
      await engine.startNamed(sendOrchestratorName, messageId, {
        agent_id: agent.agent_id,
        purpose: agent.purpose,
        message: body.message,
        app_id: callerOf(principal).app_id,
      });
      return {
        status: 202,
        body: {
          message_id: messageId,
          agent_id: agent.agent_id,
          orchestration_id: null,
          direction: body.direction,
          status: 'accepted',
          accepted_at: acceptedAt,
        },
      };
    },
  }),
);
