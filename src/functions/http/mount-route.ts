import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';
import * as df from 'durable-functions';
import type { WorkflowEngine } from '../../kernel/orchestrations';
import { durableWorkflowEngine } from '../durable/workflow-engine';
import { getKernel, getServices } from '../../composition/root';
import { accessRefusalEvent, auditEventTypes } from '../../kernel/audit';
import type { AccessRefusal, KernelRequest, RouteContract, SerializedResponse } from '../../kernel/http';
import { RouteTable, executeRoute, problemResponse } from '../../kernel/http';

/**
 * Turns a kernel route contract into an `app.http` registration. This file is the
 * whole of the HTTP glue: request in, `executeRoute`, response out.
 */

/** Every route the kernel declares, for the catch-all's 404-versus-405 answer. */
export const routeTable = new RouteTable();

export function toKernelRequest(request: HttpRequest): KernelRequest {
  return {
    method: request.method,
    url: request.url,
    headers: request.headers,
    params: request.params,
    query: request.query,
    bytes: async () => new Uint8Array(await request.arrayBuffer()),
  };
}

export function toResponseInit(response: SerializedResponse): HttpResponseInit {
  return response.body === undefined
    ? { status: response.status, headers: response.headers }
    : { status: response.status, headers: response.headers, body: response.body };
}

/** Every route but the public ones authenticates first; executeRoute then checks the permission. */
export async function authenticate(request: KernelRequest) {
  return (await getServices()).authenticator.authenticate(request.headers, request.method);
}

/** Every 401 and 403 goes to the audit trail before the answer leaves. */
async function auditRefusal(refusal: AccessRefusal): Promise<void> {
  const event = accessRefusalEvent(refusal);
  // A 401 is about a caller nobody has verified, so anyone can produce any number: bulk.
  if (event !== undefined) {
    await (
      await getServices()
    ).audit.recordQuietly(event, { bulk: event.event_type === auditEventTypes.authFailed });
  }
}

function logInternal(context: InvocationContext) {
  return (error: unknown) =>
    context.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
}

interface MountOptions {
  /** Public routes run without authentication (bare liveness, signed agent replies). */
  readonly public?: boolean;
}

type Shape = Pick<RouteContract, 'name' | 'method' | 'route'>;

/** The one registration path: table entry, app.http, and the request pipeline around the contract. */
function register<P, Q, B>(
  shape: Shape,
  durable: boolean,
  contractFor: (context: InvocationContext) => RouteContract<P, Q, B>,
  options: MountOptions,
): void {
  routeTable.add(shape.method, shape.route);
  app.http(shape.name, {
    methods: [shape.method],
    route: shape.route,
    authLevel: 'anonymous',
    ...(durable ? { extraInputs: [df.input.durableClient()] } : {}),
    handler: async (request, context) => {
      const response = await executeRoute(contractFor(context), toKernelRequest(request), {
        maxBodyBytes: getKernel().config.maxBodyBytes,
        onInternalError: logInternal(context),
        ...(options.public ? {} : { authenticate, onAccessRefused: auditRefusal }),
      });
      return toResponseInit(response);
    },
  });
}

export function mountRoute<P, Q, B>(contract: RouteContract<P, Q, B>, options: MountOptions = {}): void {
  register(contract, false, () => contract, options);
}

/** Identity helper so a route literal infers its params/query/body types. */
export function defineRoute<P, Q, B>(contract: RouteContract<P, Q, B>): RouteContract<P, Q, B> {
  return contract;
}

/**
 * A route whose handler needs the durable engine: the client comes from the
 * invocation's durableClient input, so the contract is built per invocation.
 */
export function mountDurableRoute<P, Q, B>(
  shape: Shape,
  build: (engine: WorkflowEngine) => RouteContract<P, Q, B>,
  options: MountOptions = {},
): void {
  register(shape, true, (context) => build(durableWorkflowEngine(df.getClient(context))), options);
}

/** Registers the catch-all that answers unknown routes (404) and wrong methods (405) with problem+json. */
export function mountFallback(): void {
  app.http('fallback', {
    methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
    route: '{*path}',
    authLevel: 'anonymous',
    handler: (request, context) => {
      const error = routeTable.unmatched(request.method, request.params['path'] ?? '');
      return toResponseInit(
        problemResponse(error, new URL(request.url).pathname, {
          maxBodyBytes: 0,
          onInternalError: logInternal(context),
        }),
      );
    },
  });
}
