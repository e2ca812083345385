import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MemoryAuditSink } from '../../../../src/adapters/memory/memory-audit-sink';
import type { AgentRecord, TransportCall } from '../../../../src/kernel/agents';
import { HttpTransport, TransportError, createSecretResolver } from '../../../../src/kernel/agents';
import { parseRetryAfter } from '../../../../src/kernel/agents/transports';
import { AgentExecutor } from '../../../../src/kernel/executor';
import { makeAgentServices, makeTask } from './fixtures';

/**
 * The http transport against a real HTTP server on 127.0.0.1: what the agent
 * receives, and how each kind of answer becomes a reply, `accepted` or an error.
 */

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

type Responder = (req: IncomingMessage, res: ServerResponse, body: string) => void;

const received: Received[] = [];
let responders: Responder[] = [];
let baseUrl = '';

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    const respond = responders.shift() ?? json(500, { error: 'no responder' });
    respond(req, res, body);
  });
});

function json(status: number, value: unknown, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(value));
  };
}

function text(status: number, body: string, headers: Record<string, string> = {}): Responder {
  return (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };
}

/** Never answers (until the server closes the socket). */
const silent: Responder = () => undefined;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received.length = 0;
  responders = [];
});

const secretValue = 'Bearer agent-secret-42';

async function registeredAgent(extra: Record<string, unknown> = {}) {
  const services = makeAgentServices();
  const { record } = await services.service.register(
    {
      agent_id: 'remote',
      purpose: 'Answers over HTTP',
      transport: {
        type: 'http',
        url: `${baseUrl}/agents/remote?v=1`,
        headers: { Authorization: secretValue, 'X-Tenant': 'contoso' },
        ...extra,
      },
      retry: { max_attempts: 3, backoff_ms: 10 },
    },
    { app_id: null },
  );
  return { ...services, record };
}

function callFor(
  record: AgentRecord,
  secrets: Parameters<typeof createSecretResolver>[0],
  overrides: Partial<TransportCall> = {},
): TransportCall {
  return {
    agent: record,
    task: makeTask(record.agent_id, {
      reply_url: 'https://kernel.example/api/orchestrations/orch-1/tasks/task-1/reply',
    }),
    timeoutMs: 2_000,
    signal: new AbortController().signal,
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    secrets: createSecretResolver(secrets),
    ...overrides,
  };
}

async function failureOf(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected a TransportError');
}

describe('http transport', () => {
  it('POSTs the task as JSON with resolved secret headers, traceparent and the task id', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(200, { message: 'done', output: { total: 3 }, route: 'critic', extra: true }));
    const result = await new HttpTransport().invoke(callFor(record, secrets));

    expect(result).toEqual({
      kind: 'reply',
      reply: { message: 'done', output: { total: 3 }, route: 'critic' },
    });
    expect(received).toHaveLength(1);
    const request = received[0]!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/agents/remote?v=1');
    expect(request.headers['authorization']).toBe(secretValue);
    expect(request.headers['x-tenant']).toBe('contoso');
    expect(request.headers['traceparent']).toBe('00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    expect(request.headers['x-aos-task-id']).toBe('task-1');
    expect(request.headers['x-aos-orchestration-id']).toBe('orch-1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request.body)).toEqual({
      task_id: 'task-1',
      orchestration_id: 'orch-1',
      agent_id: 'remote',
      workflow: 'sequential',
      step: 'step-1',
      purpose: { purpose: 'Answer the customer', purpose_scope: 'General orchestration scope' },
      input: 'hello',
      context: {},
      reply_url: 'https://kernel.example/api/orchestrations/orch-1/tasks/task-1/reply',
    });
    // The secret travels only in the header it belongs to.
    expect(request.body).not.toContain('agent-secret-42');
  });

  it('sends no traceparent when there is none', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(200, { message: 'ok' }));
    const call = callFor(record, secrets);
    const { traceparent: _dropped, ...withoutTrace } = call;
    await new HttpTransport().invoke(withoutTrace);
    expect(received[0]?.headers).not.toHaveProperty('traceparent');
  });

  it('treats null output and route as absent', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(200, { message: 'ok', output: null, route: null }));
    expect(await new HttpTransport().invoke(callFor(record, secrets))).toEqual({
      kind: 'reply',
      reply: { message: 'ok', output: null },
    });
  });

  it('answers accepted on 202: the agent replies later to reply_url', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(text(202, ''));
    expect(await new HttpTransport().invoke(callFor(record, secrets))).toEqual({ kind: 'accepted' });
  });

  it.each([
    ['a body that is not JSON', text(200, '<html>oops</html>'), 'not JSON'],
    ['an empty body', text(200, ''), 'empty body'],
    ['a reply without message', json(200, { output: 1 }), "field 'message'"],
    ['a message that is not a string', json(200, { message: 42 }), "field 'message'"],
    ['a JSON array', json(200, ['message']), 'reply:'],
  ])('fails without retry on a malformed 200 reply: %s', async (_what, responder, naming) => {
    const { record, secrets } = await registeredAgent();
    responders.push(responder);
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error.retryable).toBe(false);
    expect(error.code).toBe('invalid_reply');
    expect(error.message).toContain(naming);
  });

  it('refuses a reply larger than the limit', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(200, { message: 'x'.repeat(5_000) }));
    const error = await failureOf(
      new HttpTransport({ maxReplyBytes: 1_000 }).invoke(callFor(record, secrets)),
    );
    expect(error).toMatchObject({ code: 'invalid_reply', retryable: false });
  });

  it.each([408, 429, 500, 502, 503])('calls HTTP %i retryable, with the status', async (status) => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(status, { error: 'busy' }));
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error).toMatchObject({ retryable: true, status, code: 'http_status' });
  });

  it.each([400, 401, 403, 404, 422])('calls HTTP %i not retryable', async (status) => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(status, { error: 'no' }));
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error).toMatchObject({ retryable: false, status, code: 'http_status' });
  });

  it('does not follow redirects, so secret headers never go elsewhere', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(text(307, '', { location: `${baseUrl}/elsewhere` }));
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error).toMatchObject({ retryable: false, status: 307, code: 'redirect' });
    expect(received).toHaveLength(1);
  });

  it('reads Retry-After from a 429', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(json(429, {}, { 'retry-after': '2' }));
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error.retryAfterMs).toBe(2_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', Date.parse('2026-01-01T00:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
  });

  it('times out a silent agent with a retryable timeout error', async () => {
    const { record, secrets } = await registeredAgent();
    responders.push(silent);
    const started = Date.now();
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets, { timeoutMs: 150 })));
    expect(error).toMatchObject({ retryable: true, code: 'timeout' });
    expect(error.message).toContain('150 ms');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('calls a refused connection retryable and unreachable', async () => {
    const { record, secrets } = await registeredAgent();
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const moved = {
      ...record,
      transport: { ...record.transport, url: `http://127.0.0.1:${port}/x` },
    } as AgentRecord;
    const error = await failureOf(new HttpTransport().invoke(callFor(moved, secrets)));
    expect(error).toMatchObject({ retryable: true, code: 'unreachable' });
    expect(error.message).toContain('ECONNREFUSED');
  });

  it('fails without calling when a header secret is gone from the store', async () => {
    const { record, secrets } = await registeredAgent();
    await secrets.delete('agent/remote/');
    const error = await failureOf(new HttpTransport().invoke(callFor(record, secrets)));
    expect(error).toMatchObject({ retryable: false, code: 'secret_missing' });
    expect(received).toHaveLength(0);
  });
});

describe('http transport through the executor', () => {
  function executorFor(services: Awaited<ReturnType<typeof registeredAgent>>, audit = new MemoryAuditSink()) {
    const sleeps: number[] = [];
    const executor = new AgentExecutor({
      agents: services.registry,
      secrets: services.secrets,
      extensions: services.extensions,
      audit,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    return { executor, sleeps, audit };
  }

  it('retries a 500 and succeeds on the next attempt', async () => {
    const services = await registeredAgent();
    responders.push(json(500, { error: 'boom' }), json(200, { message: 'second time lucky' }));
    const { executor, sleeps } = executorFor(services);
    const result = await executor.execute({ task: makeTask('remote') });
    expect(result).toMatchObject({ status: 'succeeded', message: 'second time lucky', attempts: 2 });
    expect(received).toHaveLength(2);
    expect(sleeps).toEqual([10]);
  });

  it('does not retry a 400', async () => {
    const services = await registeredAgent();
    responders.push(json(400, { error: 'bad' }), json(200, { message: 'never sent' }));
    const { executor } = executorFor(services);
    const result = await executor.execute({ task: makeTask('remote') });
    expect(result).toMatchObject({
      status: 'failed',
      attempts: 1,
      error: { code: 'http_status', status: 400, message: 'agent answered HTTP 400' },
    });
    expect(received).toHaveLength(1);
  });

  it("applies the agent's timeout_seconds to every attempt", async () => {
    const services = await registeredAgent({ timeout_seconds: 0.1 });
    responders.push(silent, silent, silent);
    const { executor } = executorFor(services);
    const result = await executor.execute({ task: makeTask('remote') });
    expect(result).toMatchObject({ status: 'failed', attempts: 3, error: { code: 'timeout' } });
    expect(received).toHaveLength(3);
  });

  it('keeps the secret out of the step result and the audit record', async () => {
    const services = await registeredAgent();
    responders.push(json(200, { message: 'ok' }));
    const { executor, audit } = executorFor(services);
    const result = await executor.execute({ task: makeTask('remote') });
    expect(JSON.stringify(result)).not.toContain('agent-secret-42');
    expect(JSON.stringify(audit.records)).not.toContain('agent-secret-42');
  });
});
