import type { z } from 'zod';
import { KernelError, problemContentType, toProblem, validationError } from '../errors';
import type { OperationName, Principal } from '../auth/access';
import { authorizeOperation } from '../auth/access';
import { assertDeclaredLength, parseJsonBody } from './request-body';

/**
 * A route as data: method, template, zod schemas for params, query and body, and a
 * handler that gets them parsed. `executeRoute` runs the whole request pipeline
 * host-independently, so every HTTP function is a few lines of glue and every
 * error takes the one problem+json path.
 */

export interface KernelRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: { get(name: string): string | null };
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** Reads the raw body; called at most once, and only for routes with a body schema. */
  bytes(): Promise<Uint8Array>;
}

export interface KernelResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteInput<P, Q, B> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly request: KernelRequest;
  /** The authenticated caller; undefined only on public routes called without credentials. */
  readonly principal: Principal | undefined;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteContract<P = unknown, Q = unknown, B = unknown> {
  /** Function name; unique in the app. */
  readonly name: string;
  readonly method: HttpMethod;
  /** Template under the route prefix, e.g. `orchestrations/{id}`. */
  readonly route: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  handle(input: RouteInput<P, Q, B>): Promise<KernelResponse> | KernelResponse;
}

export interface SerializedResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | undefined;
}

/** A request the pipeline refused before the route ran: 401 (no or bad credential) or 403. */
export interface AccessRefusal {
  /** The route's operation name (permission table). */
  readonly operation: string;
  readonly method: string;
  /** The URL path, without the query string. */
  readonly path: string;
  /** The authenticated caller for a 403 (and a handler's 401); undefined when authentication failed. */
  readonly principal: Principal | undefined;
  /** The refusal itself (AuthenticationFailure, an API key rejection, a 403 KernelError). */
  readonly error: KernelError;
  /** The `x-forwarded-for` header as received, if any. */
  readonly forwarded_for?: string;
}

export interface ExecuteOptions {
  readonly maxBodyBytes: number;
  /**
   * Authenticates the request before anything else is read; the route's name is
   * then checked against the permission table. Without it (unit tests of the
   * pipeline) requests run unauthenticated.
   */
  readonly authenticate?: (request: KernelRequest) => Promise<Principal | undefined>;
  /**
   * Told of every 401 and 403 the request ends with (e.g. to audit them), whether
   * authentication, the permission table or the handler refused it, before the
   * answer goes out. Errors it throws are ignored.
   */
  readonly onAccessRefused?: (refusal: AccessRefusal) => Promise<void> | void;
  /** Receives errors that are the kernel's fault (5xx); client errors are not logged as failures. */
  readonly onInternalError?: (error: unknown) => void;
}

export function serializeResponse(response: KernelResponse): SerializedResponse {
  const headers: Record<string, string> = { ...response.headers };
  if (response.body === undefined) return { status: response.status, headers, body: undefined };
  if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json; charset=utf-8';
  }
  return { status: response.status, headers, body: JSON.stringify(response.body) };
}

export function problemResponse(
  error: unknown,
  instance: string,
  options: ExecuteOptions,
): SerializedResponse {
  const { problem, headers, internal } = toProblem(error, instance);
  if (internal) options.onInternalError?.(error);
  return {
    status: problem.status,
    headers: { ...headers, 'content-type': problemContentType },
    body: JSON.stringify(problem),
  };
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'path' | 'query' | 'body'): T {
  if (schema === undefined) return value as T;
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

function queryObject(query: URLSearchParams): Record<string, string> {
  const object: Record<string, string> = {};
  for (const [key, value] of query) if (!(key in object)) object[key] = value;
  return object;
}

async function reportRefusal(
  error: unknown,
  at: {
    readonly contract: Pick<RouteContract, 'name'>;
    readonly request: KernelRequest;
    readonly instance: string;
    readonly principal: Principal | undefined;
  },
  options: ExecuteOptions,
): Promise<void> {
  if (!options.onAccessRefused || !(error instanceof KernelError)) return;
  if (error.status !== 401 && error.status !== 403) return;
  const forwardedFor = at.request.headers.get('x-forwarded-for');
  try {
    await options.onAccessRefused({
      operation: at.contract.name,
      method: at.request.method,
      path: at.instance,
      principal: at.principal,
      error,
      ...(forwardedFor === null ? {} : { forwarded_for: forwardedFor }),
    });
  } catch {
    // Reporting a refusal must never change the refusal.
  }
}

export async function executeRoute<P, Q, B>(
  contract: RouteContract<P, Q, B>,
  request: KernelRequest,
  options: ExecuteOptions,
): Promise<SerializedResponse> {
  const instance = new URL(request.url).pathname;
  let principal: Principal | undefined;
  try {
    if (options.authenticate) {
      principal = await options.authenticate(request);
      authorizeOperation(principal, contract.name as OperationName);
    }
    const params = parsePart(contract.params, request.params, 'path');
    const query = parsePart(contract.query, queryObject(request.query), 'query');
    let body: B = undefined as B;
    if (contract.body !== undefined) {
      assertDeclaredLength(request.headers.get('content-length'), options.maxBodyBytes);
      const raw = parseJsonBody(
        await request.bytes(),
        request.headers.get('content-type'),
        options.maxBodyBytes,
      );
      if (raw === undefined && !contract.body.safeParse(undefined).success) {
        throw new KernelError('validation_failed', 'Validation failed', {
          detail: 'A JSON request body is required.',
          errors: [{ field: '', in: 'body', message: 'required', code: 'required' }],
        });
      }
      body = parsePart(contract.body, raw, 'body');
    }
    return serializeResponse(await contract.handle({ params, query, body, request, principal }));
  } catch (error) {
    // Refusals from anywhere: authentication, the permission table, or a service's
    // own check (a key's role ceiling, an approver list).
    await reportRefusal(error, { contract, request, instance, principal }, options);
    return problemResponse(error, instance, options);
  }
}
