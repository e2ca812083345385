import { z } from 'zod';
import { getKernel, getServices } from '../../composition/root';
import { authorizeOperation } from '../../kernel/auth/access';
import { verifyTaskReplySignature } from '../../kernel/callbacks';
import type { Caller } from '../../kernel/orchestrations';
import { idSchema } from '../../kernel/workflows';
import { callerOf } from './caller';
import { authenticate, defineRoute, mountDurableRoute } from './mount-route';

/** The orchestration API of contract.md, plus the ways into a running orchestration. */

const idParams = z.object({ id: idSchema });
const stepParams = z.object({ id: idSchema, step_id: z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/) });
const taskParams = z.object({ id: idSchema, task_id: z.string().regex(/^[A-Za-z0-9._:-]{1,256}$/) });
const anyBody = z.unknown();
const emptyBody = z.union([z.undefined(), z.object({}).passthrough()]);

mountDurableRoute({ name: 'orchestrations_submit', method: 'POST', route: 'orchestrations' }, (engine) =>
  defineRoute({
    name: 'orchestrations_submit',
    method: 'POST',
    route: 'orchestrations',
    body: anyBody,
    async handle({ body, request, principal }) {
      const { orchestrations } = await getServices();
      const { view } = await orchestrations.submit(
        body,
        callerOf(principal),
        engine,
        request.headers.get('traceparent'),
      );
      return {
        status: 202,
        body: view,
        headers: { location: `/api/orchestrations/${view.orchestration_id}` },
      };
    },
  }),
);

mountDurableRoute({ name: 'orchestrations_list', method: 'GET', route: 'orchestrations' }, (engine) =>
  defineRoute({
    name: 'orchestrations_list',
    method: 'GET',
    route: 'orchestrations',
    query: z.record(z.string(), z.string()),
    async handle({ query, principal }) {
      const { orchestrations } = await getServices();
      return { status: 200, body: await orchestrations.list(query, callerOf(principal), engine) };
    },
  }),
);

mountDurableRoute({ name: 'orchestrations_get', method: 'GET', route: 'orchestrations/{id}' }, (engine) =>
  defineRoute({
    name: 'orchestrations_get',
    method: 'GET',
    route: 'orchestrations/{id}',
    params: idParams,
    async handle({ params, principal }) {
      const { orchestrations } = await getServices();
      return { status: 200, body: await orchestrations.get(params.id, callerOf(principal), engine) };
    },
  }),
);

mountDurableRoute(
  { name: 'orchestrations_result', method: 'GET', route: 'orchestrations/{id}/result' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_result',
      method: 'GET',
      route: 'orchestrations/{id}/result',
      params: idParams,
      async handle({ params, principal }) {
        const { orchestrations } = await getServices();
        return {
          status: 200,
          body: await orchestrations.result(params.id, callerOf(principal), engine),
        };
      },
    }),
);

mountDurableRoute(
  { name: 'orchestrations_stop', method: 'POST', route: 'orchestrations/{id}/stop' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_stop',
      method: 'POST',
      route: 'orchestrations/{id}/stop',
      params: idParams,
      body: emptyBody,
      async handle({ params, principal }) {
        const { orchestrations } = await getServices();
        return { status: 200, body: await orchestrations.stop(params.id, callerOf(principal), engine) };
      },
    }),
);

mountDurableRoute(
  { name: 'orchestrations_cancel', method: 'POST', route: 'orchestrations/{id}/cancel' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_cancel',
      method: 'POST',
      route: 'orchestrations/{id}/cancel',
      params: idParams,
      body: emptyBody,
      async handle({ params, principal }) {
        const { orchestrations } = await getServices();
        return {
          status: 200,
          body: await orchestrations.cancel(params.id, callerOf(principal), engine),
        };
      },
    }),
);

mountDurableRoute(
  { name: 'orchestrations_message', method: 'POST', route: 'orchestrations/{id}/messages' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_message',
      method: 'POST',
      route: 'orchestrations/{id}/messages',
      params: idParams,
      body: anyBody,
      async handle({ params, body, principal }) {
        const { orchestrations } = await getServices();
        return {
          status: 202,
          body: await orchestrations.postMessage(params.id, body, callerOf(principal), engine),
        };
      },
    }),
);

mountDurableRoute(
  { name: 'orchestrations_approval', method: 'POST', route: 'orchestrations/{id}/approvals/{step_id}' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_approval',
      method: 'POST',
      route: 'orchestrations/{id}/approvals/{step_id}',
      params: stepParams,
      body: anyBody,
      async handle({ params, body, principal }) {
        const { orchestrations } = await getServices();
        const view = await orchestrations.decideApproval(
          params.id,
          params.step_id,
          body,
          callerOf(principal),
          engine,
        );
        return { status: 200, body: view };
      },
    }),
);

mountDurableRoute(
  { name: 'orchestrations_task_reply', method: 'POST', route: 'orchestrations/{id}/tasks/{task_id}/reply' },
  (engine) =>
    defineRoute({
      name: 'orchestrations_task_reply',
      method: 'POST',
      route: 'orchestrations/{id}/tasks/{task_id}/reply',
      params: taskParams,
      query: z.strictObject({
        sig: z
          .string()
          .regex(/^[0-9a-f]{64}$/)
          .optional(),
      }),
      body: anyBody,
      async handle({ params, query, body, request }) {
        const { orchestrations, orchestrationStore } = await getServices();
        const secret = getKernel().config.callbackSigningSecret;
        let caller: Caller;
        if (
          query.sig !== undefined &&
          secret &&
          verifyTaskReplySignature(secret, params.id, params.task_id, query.sig)
        ) {
          // The reply_url's signature is the agent's proof: it acts for the orchestration's app.
          const record = await orchestrationStore.get(params.id);
          caller = { app_id: record?.app_id ?? null, principal: `agent-reply:${params.task_id}` };
        } else {
          const principal = await authenticate(request);
          authorizeOperation(principal, 'orchestrations_task_reply');
          caller = callerOf(principal);
        }
        await orchestrations.agentReply(params.id, params.task_id, body, caller, engine);
        return { status: 202, body: { accepted: true, task_id: params.task_id } };
      },
    }),
  { public: true },
);
