/**
 * The Durable extension's HTTP surface, served by the local host: the binding data
 * a `durableClient` input receives, and one handler for everything under
 * /runtime/webhooks/durabletask/ — the RPC API that durable-functions' DurableClient
 * calls through `rpcBaseUrl` and the public webhooks that `createCheckStatusResponse`
 * hands out. Routes, status codes and bodies follow the extension's HTTP API so
 * client code and scripts behave locally as they will in Azure.
 */

import type http from 'node:http';
import type { SystemHandler } from '../http/http-host';
import { BodyTooLargeError, readBody as readRawBody } from '../http/read-body';
import type {
  DurableEngineApi,
  InstanceQuery,
  InstanceStatusView,
  ManagementResult,
  RuntimeStatus,
} from './types';
import { terminalStatuses } from './types';

/** Where the extension serves its webhooks, relative to the app's origin. */
export const DURABLE_WEBHOOK_PATH = '/runtime/webhooks/durabletask';

/** Keys are not enforced locally; the `code` query value only keeps URLs shaped like Azure's. */
export const LOCAL_SYSTEM_KEY = 'local';

const DEFAULT_CONNECTION = 'Storage';
const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';
/** The Functions host's default request body limit. */
const MAX_BODY_BYTES = 100 * 1024 * 1024;
const MAX_NAME_LENGTH = 256;
const MIN_POLL_MS = 10;

// ------------------------------------------------------------------ binding data

interface ManagementLinks {
  readonly statusQueryGetUri: string;
  readonly sendEventPostUri: string;
  readonly terminatePostUri: string;
  readonly rewindPostUri: string;
  readonly purgeHistoryDeleteUri: string;
  readonly restartPostUri: string;
  readonly suspendPostUri: string;
  readonly resumePostUri: string;
}

function webhookRoot(origin: string): string {
  return `${origin.replace(/\/+$/, '')}${DURABLE_WEBHOOK_PATH}`;
}

function managementQuery(taskHub: string, connection: string): string {
  return `taskHub=${encodeURIComponent(taskHub)}&connection=${encodeURIComponent(connection)}&code=${LOCAL_SYSTEM_KEY}`;
}

/** The extension's management links for one instance; `encodedId` goes into the path as given. */
function managementLinks(root: string, encodedId: string, query: string): ManagementLinks {
  const instance = `${root}/instances/${encodedId}`;
  return {
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/**
 * The JSON the Durable extension hands a `durableClient` input binding, pointing at
 * this host: public webhook templates under `${baseUrl}/runtime/webhooks/durabletask`
 * and the RPC base URL on the same port and prefix.
 */
export function createDurableClientData(baseUrl: string, taskHubName: string): Record<string, unknown> {
  const root = webhookRoot(baseUrl);
  const required = `code=${LOCAL_SYSTEM_KEY}`;
  const creation = `${root}/orchestrators/{functionName}[/{instanceId}]`;
  return {
    taskHubName,
    creationUrls: {
      createNewInstancePostUri: `${creation}?${required}`,
      createAndWaitOnNewInstancePostUri: `${creation}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}&${required}`,
    },
    managementUrls: {
      id: INSTANCE_ID_PLACEHOLDER,
      ...managementLinks(root, INSTANCE_ID_PLACEHOLDER, managementQuery(taskHubName, DEFAULT_CONNECTION)),
    },
    baseUrl: root,
    requiredQueryStringParameters: required,
    rpcBaseUrl: `${root}/`,
  };
}

// ------------------------------------------------------------------ replies

interface Reply {
  readonly status: number;
  /** Serialized as JSON; absent means an empty body. */
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** Thrown inside a route to answer with `reply` at once. */
class ReplyError extends Error {
  constructor(readonly reply: Reply) {
    super(`HTTP ${reply.status}`);
  }
}

/** The ASP.NET error shape the extension answers with (`{ "Message": … }`). */
function errorReply(status: number, message: string, headers?: Record<string, string>): Reply {
  return headers ? { status, body: { Message: message }, headers } : { status, body: { Message: message } };
}

function badRequest(message: string): ReplyError {
  return new ReplyError(errorReply(400, message));
}

const accepted: Reply = { status: 202 };

function managementReply(result: ManagementResult, instanceId: string): Reply {
  switch (result) {
    case 'accepted':
      return accepted;
    case 'notFound':
      return errorReply(404, `No instance with ID '${instanceId}' found.`);
    case 'gone':
      return errorReply(410, `The instance '${instanceId}' has already completed.`);
    case 'conflict':
      return errorReply(
        409,
        `The instance '${instanceId}' cannot accept this operation in its current state.`,
      );
  }
}

function send(res: http.ServerResponse, reply: Reply): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  let text: string;
  try {
    text = reply.body === undefined ? '' : (JSON.stringify(reply.body) ?? 'null');
    res.writeHead(reply.status, {
      ...reply.headers,
      ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
      'content-length': String(Buffer.byteLength(text)),
    });
  } catch (error) {
    // An unserializable body or an invalid header value (e.g. an engine continuation token).
    text = JSON.stringify({ Message: 'Could not write the response', ExceptionMessage: errorMessage(error) });
    res.writeHead(500, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
  }
  res.end(text);
}

/** `status` of a DurableRuntimeError (duck-typed: 400, 404 or 409), else undefined. */
function engineErrorStatus(error: unknown): 400 | 404 | 409 | undefined {
  if (typeof error !== 'object' || error === null || !('status' in error)) return undefined;
  const status = error.status;
  return status === 400 || status === 404 || status === 409 ? status : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// ------------------------------------------------------------------ request parsing

async function readBody(req: http.IncomingMessage): Promise<string> {
  return (await readRawBody(req, MAX_BODY_BYTES)).toString('utf8');
}

function isJsonContent(req: http.IncomingMessage): boolean {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badRequest(`Invalid JSON content: ${errorMessage(error)}`);
  }
}

function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/**
 * Ids and names: 1–256 characters, no `/ \ # ?`, whitespace or control characters.
 * Entity keys may contain spaces (they are free text in Durable); `extraForbidden`
 * adds characters (`@` for entity names, which end at the scheduler id's second `@`).
 */
function checkName(
  kind: string,
  value: string,
  rules: { extraForbidden?: string; allowSpaces?: boolean } = {},
): string {
  const extra = rules.extraForbidden ?? '';
  const forbidden =
    (rules.allowSpaces ? /[/\\#?]|[^\S ]/ : /[/\\#?\s]/).test(value) ||
    [...extra].some((c) => value.includes(c));
  if (value.length === 0 || value.length > MAX_NAME_LENGTH || forbidden || hasControlCharacter(value)) {
    throw badRequest(
      `Invalid ${kind} '${value.slice(0, MAX_NAME_LENGTH)}': use 1-${MAX_NAME_LENGTH} characters without ` +
        `'/', '\\', '#', '?'${extra ? `, '${extra}'` : ''}, ${rules.allowSpaces ? 'tabs, line breaks' : 'whitespace'} ` +
        'or control characters.',
    );
  }
  return value;
}

/** Query booleans the way the extension reads them: `true`/`false` in any case, else the default. */
function queryBoolean(query: URLSearchParams, name: string, fallback: boolean): boolean {
  const value = query.get(name)?.trim().toLowerCase();
  return value === 'true' ? true : value === 'false' ? false : fallback;
}

function queryDate(query: URLSearchParams, name: string): Date | undefined {
  const value = query.get(name);
  if (value === null || value.trim() === '') return undefined;
  const time = Date.parse(value);
  if (Number.isNaN(time)) throw badRequest(`Invalid '${name}' value '${value}': expected an ISO 8601 date.`);
  return new Date(time);
}

/** Seconds, as in `timeout=` and `pollingInterval=`. */
function querySeconds(query: URLSearchParams, name: string): number | undefined {
  const value = query.get(name);
  if (value === null || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw badRequest(`Invalid '${name}' value '${value}': expected a number of seconds.`);
  }
  return seconds;
}

const runtimeStatusNames: Readonly<Record<string, RuntimeStatus>> = {
  running: 'Running',
  completed: 'Completed',
  continuedasnew: 'ContinuedAsNew',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  pending: 'Pending',
  suspended: 'Suspended',
};
/** OrchestrationRuntimeStatus numbers, which the extension also accepts. */
const runtimeStatusNumbers: readonly RuntimeStatus[] = [
  'Running',
  'Completed',
  'ContinuedAsNew',
  'Failed',
  'Canceled',
  'Terminated',
  'Pending',
  'Suspended',
];

function queryRuntimeStatus(query: URLSearchParams): RuntimeStatus[] | undefined {
  const values = query
    .getAll('runtimeStatus')
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (values.length === 0) return undefined;
  return values.map((value) => {
    const status = /^\d+$/.test(value)
      ? runtimeStatusNumbers[Number(value)]
      : runtimeStatusNames[value.toLowerCase()];
    if (!status) {
      throw badRequest(
        `Unknown runtimeStatus '${value}': expected one of ${runtimeStatusNumbers.join(', ')}.`,
      );
    }
    return status;
  });
}

type MutableQuery = { -readonly [K in keyof InstanceQuery]: InstanceQuery[K] };

function instanceQuery(query: URLSearchParams): MutableQuery {
  const result: MutableQuery = {};
  const statuses = queryRuntimeStatus(query);
  if (statuses) result.runtimeStatus = statuses;
  const from = queryDate(query, 'createdTimeFrom');
  if (from) result.createdTimeFrom = from;
  const to = queryDate(query, 'createdTimeTo');
  if (to) result.createdTimeTo = to;
  const prefix = query.get('instanceIdPrefix');
  if (prefix !== null && prefix !== '') result.instanceIdPrefix = prefix;
  return result;
}

// ------------------------------------------------------------------ the handler

interface RequestContext {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly url: URL;
  readonly method: string;
  readonly query: URLSearchParams;
  /** Origin the management links point at: the caller's, as the extension does. */
  readonly origin: string;
  /** True once the client went away (stops the start-and-wait poll). */
  readonly closed: () => boolean;
}

function methodNotAllowed(ctx: RequestContext, allowed: readonly string[]): Reply {
  return errorReply(405, `${ctx.method} is not supported here; use ${allowed.join(' or ')}.`, {
    allow: allowed.join(', '),
  });
}

/** Splits the path after the prefix into decoded segments; leading and trailing slashes are ignored. */
function pathSegments(pathname: string): string[] {
  const rest = pathname.slice(DURABLE_WEBHOOK_PATH.length);
  const parts = rest.split('/');
  while (parts.length > 0 && parts[0] === '') parts.shift();
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      throw badRequest(`Invalid percent-encoding in path segment '${part}'.`);
    }
  });
}

function isUnderPrefix(pathname: string): boolean {
  const lower = pathname.toLowerCase();
  return lower === DURABLE_WEBHOOK_PATH || lower.startsWith(`${DURABLE_WEBHOOK_PATH}/`);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Serves the Durable extension's HTTP API from `engine` under
 * /runtime/webhooks/durabletask/; passes (returns false) on every other path.
 */
export function createDurableManagementHandler(
  engine: DurableEngineApi,
  options: { baseUrl: () => string },
): SystemHandler {
  function checkStatusReply(ctx: RequestContext, instanceId: string): Reply {
    const connection = ctx.query.get('connection') || DEFAULT_CONNECTION;
    const links = managementLinks(
      webhookRoot(ctx.origin),
      encodeURIComponent(instanceId),
      managementQuery(engine.taskHubName, connection),
    );
    return {
      status: 202,
      body: {
        id: instanceId,
        statusQueryGetUri: links.statusQueryGetUri,
        sendEventPostUri: links.sendEventPostUri,
        terminatePostUri: links.terminatePostUri,
        purgeHistoryDeleteUri: links.purgeHistoryDeleteUri,
        restartPostUri: links.restartPostUri,
        suspendPostUri: links.suspendPostUri,
        resumePostUri: links.resumePostUri,
      },
      headers: { location: links.statusQueryGetUri, 'retry-after': '10' },
    };
  }

  function statusPayload(view: InstanceStatusView): Record<string, unknown> {
    return {
      name: view.name,
      instanceId: view.instanceId,
      runtimeStatus: view.runtimeStatus,
      input: view.input ?? null,
      customStatus: view.customStatus ?? null,
      output: view.output ?? null,
      createdTime: view.createdTime,
      lastUpdatedTime: view.lastUpdatedTime,
      // The extension names the list `historyEvents`; DurableOrchestrationStatus reads `history`.
      ...(view.historyEvents ? { historyEvents: view.historyEvents, history: view.historyEvents } : {}),
    };
  }

  function getStatus(ctx: RequestContext, instanceId: string): Reply {
    const view = engine.getStatus(instanceId, {
      showHistory: queryBoolean(ctx.query, 'showHistory', false),
      showHistoryOutput: queryBoolean(ctx.query, 'showHistoryOutput', false),
      showInput: queryBoolean(ctx.query, 'showInput', true),
    });
    if (!view) return errorReply(404, `No instance with ID '${instanceId}' found.`);
    const body = statusPayload(view);
    switch (view.runtimeStatus) {
      case 'Running':
      case 'Pending':
      case 'ContinuedAsNew':
      case 'Suspended':
        return { status: 202, body, headers: { location: ctx.url.href, 'retry-after': '5' } };
      case 'Failed':
        return {
          status: queryBoolean(ctx.query, 'returnInternalServerErrorOnFailure', false) ? 500 : 200,
          body,
        };
      case 'Completed':
      case 'Terminated':
      case 'Canceled':
        return { status: 200, body };
    }
  }

  function listInstances(ctx: RequestContext): Reply {
    const query = instanceQuery(ctx.query);
    const top = ctx.query.get('top');
    if (top !== null && top !== '') {
      if (!/^\d+$/.test(top) || Number(top) < 1)
        throw badRequest(`Invalid 'top' value '${top}': expected a positive integer.`);
      query.pageSize = Number(top);
    }
    const header = ctx.req.headers['x-ms-continuation-token'];
    const token = Array.isArray(header) ? header[0] : header;
    if (token) query.continuationToken = token;
    const page = engine.queryInstances(query, { showInput: queryBoolean(ctx.query, 'showInput', true) });
    return {
      status: 200,
      body: page.instances.map(statusPayload),
      ...(page.continuationToken ? { headers: { 'x-ms-continuation-token': page.continuationToken } } : {}),
    };
  }

  /** `timeout=`/`pollingInterval=` on start and restart: wait for the end, else answer 202. */
  async function startedReply(ctx: RequestContext, instanceId: string): Promise<Reply> {
    const timeout = querySeconds(ctx.query, 'timeout');
    const interval = querySeconds(ctx.query, 'pollingInterval');
    if (timeout === undefined || interval === undefined) return checkStatusReply(ctx, instanceId);
    if (interval > timeout) {
      throw badRequest(`Total timeout ${timeout} should be bigger than retry timeout ${interval}.`);
    }
    const deadline = Date.now() + timeout * 1000;
    for (;;) {
      const view = engine.getStatus(instanceId, { showInput: false });
      if (view?.runtimeStatus === 'Completed') return { status: 200, body: view.output ?? null };
      if (view && terminalStatuses.has(view.runtimeStatus)) return getStatus(ctx, instanceId);
      const remaining = deadline - Date.now();
      if (remaining <= 0 || ctx.closed()) return checkStatusReply(ctx, instanceId);
      await delay(Math.max(MIN_POLL_MS, Math.min(interval * 1000, remaining)));
    }
  }

  async function startOrchestration(
    ctx: RequestContext,
    name: string,
    requestedId: string | undefined,
  ): Promise<Reply> {
    checkName('orchestrator function name', name);
    if (requestedId !== undefined) checkName('instance ID', requestedId);
    const text = await readBody(ctx.req);
    const input = text.trim() === '' ? undefined : parseJsonBody(text);
    const instanceId = await engine.startOrchestration(name, { instanceId: requestedId, input });
    return startedReply(ctx, instanceId);
  }

  async function purgeInstance(instanceId: string): Promise<Reply> {
    const view = engine.getStatus(instanceId, { showInput: false });
    if (!view) return errorReply(404, `No instance with ID '${instanceId}' found.`);
    if (!terminalStatuses.has(view.runtimeStatus)) {
      return {
        status: 412,
        body:
          `Only orchestrations in a terminal state can be purged, but the orchestration with instance ID ` +
          `${instanceId} has status ${view.runtimeStatus}`,
      };
    }
    const instancesDeleted = await engine.purge(instanceId);
    return { status: 200, body: { instancesDeleted } };
  }

  async function purgeWhere(ctx: RequestContext): Promise<Reply> {
    const query = instanceQuery(ctx.query);
    if (!query.createdTimeFrom) {
      return { status: 400, body: "Please provide value for 'createdTimeFrom' parameter." };
    }
    query.createdTimeTo ??= new Date();
    const instancesDeleted = await engine.purgeWhere(query);
    if (instancesDeleted === 0) return errorReply(404, 'No instances matched the purge filter.');
    return { status: 200, body: { instancesDeleted } };
  }

  async function raiseEvent(ctx: RequestContext, instanceId: string, eventName: string): Promise<Reply> {
    checkName('event name', eventName);
    const view = engine.getStatus(instanceId, { showInput: false });
    if (!view) return managementReply('notFound', instanceId);
    if (terminalStatuses.has(view.runtimeStatus)) return managementReply('gone', instanceId);
    const text = await readBody(ctx.req);
    let data: unknown = null;
    if (text.trim() !== '') {
      if (!isJsonContent(ctx.req))
        return errorReply(400, 'Only application/json request content is supported');
      data = parseJsonBody(text);
    }
    return managementReply(await engine.raiseEvent(instanceId, eventName, data), instanceId);
  }

  async function restart(ctx: RequestContext, instanceId: string): Promise<Reply> {
    const newId = await engine.restart(instanceId, queryBoolean(ctx.query, 'restartWithNewInstanceId', true));
    if (newId === undefined)
      return errorReply(400, 'InstanceId does not match a valid orchestration instance.');
    return startedReply(ctx, newId);
  }

  function rewind(instanceId: string): Reply {
    const view = engine.getStatus(instanceId, { showInput: false });
    // Plain JSON strings: DurableClient.rewind turns the body into its error message.
    if (!view) return { status: 404, body: `No orchestration with instance ID "${instanceId}" found.` };
    if (view.runtimeStatus !== 'Failed') {
      return {
        status: 412,
        body: `This orchestration has status ${view.runtimeStatus}, but only orchestrations in the "Failed" state can be rewound.`,
      };
    }
    return {
      status: 501,
      body: 'Rewind is not supported by the local Durable runtime; restart the instance instead (POST .../restart).',
    };
  }

  async function instanceOperation(
    ctx: RequestContext,
    instanceId: string,
    operation: string,
  ): Promise<Reply> {
    const reason = ctx.query.get('reason') ?? '';
    switch (operation.toLowerCase()) {
      case 'terminate':
        return managementReply(await engine.terminate(instanceId, reason), instanceId);
      case 'suspend':
        return managementReply(await engine.suspend(instanceId, reason), instanceId);
      case 'resume':
        return managementReply(await engine.resume(instanceId, reason), instanceId);
      case 'restart':
        return restart(ctx, instanceId);
      case 'rewind':
        return rewind(instanceId);
      default:
        return errorReply(
          404,
          `Unknown instance operation '${operation}': expected terminate, suspend, resume, restart, rewind or raiseEvent/{eventName}.`,
        );
    }
  }

  async function instances(ctx: RequestContext, rest: readonly string[]): Promise<Reply> {
    const [rawId, operation, eventName, ...extra] = rest;
    if (rawId === undefined) {
      if (ctx.method === 'GET') return listInstances(ctx);
      if (ctx.method === 'DELETE') return purgeWhere(ctx);
      return methodNotAllowed(ctx, ['GET', 'DELETE']);
    }
    const instanceId = checkName('instance ID', rawId);
    if (operation === undefined) {
      if (ctx.method === 'GET') return getStatus(ctx, instanceId);
      if (ctx.method === 'DELETE') return purgeInstance(instanceId);
      return methodNotAllowed(ctx, ['GET', 'DELETE']);
    }
    if (extra.length > 0) return notFound(ctx);
    const isRaiseEvent = operation.toLowerCase() === 'raiseevent';
    if (eventName !== undefined && !isRaiseEvent) return notFound(ctx);
    if (isRaiseEvent && eventName === undefined)
      throw badRequest('raiseEvent needs an event name: instances/{id}/raiseEvent/{eventName}.');
    if (ctx.method !== 'POST') return methodNotAllowed(ctx, ['POST']);
    return eventName !== undefined
      ? raiseEvent(ctx, instanceId, eventName)
      : instanceOperation(ctx, instanceId, operation);
  }

  async function signalEntity(ctx: RequestContext, name: string, key: string): Promise<Reply> {
    const operation = ctx.method === 'DELETE' ? 'delete' : (ctx.query.get('op') ?? '');
    if (operation.length > MAX_NAME_LENGTH || hasControlCharacter(operation)) {
      throw badRequest(
        `Invalid operation name: use at most ${MAX_NAME_LENGTH} characters without control characters.`,
      );
    }
    const text = await readBody(ctx.req);
    let input: unknown = undefined;
    if (text !== '') input = isJsonContent(ctx.req) ? parseJsonBody(text) : text;
    await engine.signalEntity(name, key, operation, input);
    return accepted;
  }

  async function entities(ctx: RequestContext, rest: readonly string[]): Promise<Reply> {
    const [rawName, rawKey, ...extra] = rest;
    if (rawName === undefined || extra.length > 0) return notFound(ctx);
    const name = checkName('entity name', rawName, { extraForbidden: '@' });
    if (rawKey === undefined) {
      if (ctx.method === 'GET') {
        return errorReply(
          501,
          'Listing entities is not supported by the local Durable runtime; read one with GET entities/{name}/{key}.',
        );
      }
      if (ctx.method === 'POST' || ctx.method === 'DELETE')
        throw badRequest('An entity key is required: entities/{name}/{key}.');
      return methodNotAllowed(ctx, ['GET', 'POST', 'DELETE']);
    }
    const key = checkName('entity key', rawKey, { allowSpaces: true });
    if (ctx.method === 'GET') {
      // As in the extension, `$` reads the entity whose key is the empty string.
      const entity = engine.getEntityState(name, key === '$' ? '' : key);
      if (!entity || !entity.exists) return errorReply(404, `Entity @${name}@${key} does not exist.`);
      return { status: 200, body: entity.state ?? null };
    }
    if (ctx.method === 'POST' || ctx.method === 'DELETE') return signalEntity(ctx, name, key);
    return methodNotAllowed(ctx, ['GET', 'POST', 'DELETE']);
  }

  function notFound(ctx: RequestContext): Reply {
    return errorReply(404, `No Durable Functions API at ${ctx.url.pathname}.`);
  }

  async function route(ctx: RequestContext): Promise<Reply> {
    const hub = ctx.query.get('taskHub');
    if (hub && hub.toLowerCase() !== engine.taskHubName.toLowerCase()) {
      return errorReply(400, `This host serves only the task hub '${engine.taskHubName}', not '${hub}'.`);
    }
    const [controller, ...rest] = pathSegments(ctx.url.pathname);
    switch (controller?.toLowerCase()) {
      case 'orchestrators': {
        const [name, instanceId, ...extra] = rest;
        if (name === undefined || extra.length > 0) return notFound(ctx);
        if (ctx.method !== 'POST') return methodNotAllowed(ctx, ['POST']);
        return startOrchestration(ctx, name, instanceId);
      }
      case 'instances':
        return instances(ctx, rest);
      case 'entities':
        return entities(ctx, rest);
      default:
        return notFound(ctx);
    }
  }

  return async (req, res, url) => {
    if (!isUnderPrefix(url.pathname)) return false;
    let closed = false;
    res.once('close', () => {
      closed = true;
    });
    const ctx: RequestContext = {
      req,
      res,
      url,
      method: (req.method ?? 'GET').toUpperCase(),
      query: url.searchParams,
      origin: req.headers.host ? url.origin : new URL(options.baseUrl()).origin,
      closed: () => closed,
    };
    let reply: Reply;
    try {
      reply = await route(ctx);
    } catch (error) {
      const status = engineErrorStatus(error);
      if (error instanceof ReplyError) reply = error.reply;
      else if (error instanceof BodyTooLargeError) reply = errorReply(413, 'The request body is too large.');
      else if (status !== undefined) reply = errorReply(status, errorMessage(error));
      else {
        reply = {
          status: 500,
          body: {
            Message: 'Something went wrong while processing your request',
            ExceptionMessage: errorMessage(error),
          },
        };
      }
    }
    if (!closed) send(res, reply);
    return true;
  };
}
