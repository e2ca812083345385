import { describe, expect, it } from 'vitest';
import type { AgentRecord } from '../../../../src/kernel/agents';
import { agentStorageNames } from '../../../../src/kernel/agents';
import { storageNames } from '../../../../src/kernel/config';
import type { KernelError } from '../../../../src/kernel/errors';
import { isKernelError } from '../../../../src/kernel/errors';
import { makeAgentServices, record, steppingClock } from './fixtures';

const secret = 'Bearer s3cr3t-value-that-must-not-leak';

async function rejection(promise: Promise<unknown>): Promise<KernelError> {
  try {
    await promise;
  } catch (error) {
    if (isKernelError(error)) return error;
    throw error;
  }
  throw new Error('expected a KernelError');
}

function fields(error: KernelError): string[] {
  return (error.errors ?? []).map((e) => e.field);
}

describe('agent registration: validation', () => {
  it('registers a minimal agent with the contract defaults', async () => {
    const { service } = makeAgentServices({ now: () => new Date('2026-02-01T10:00:00Z') });
    const { record: stored, created } = await service.register(
      { agent_id: 'writer', purpose: 'Writes drafts' },
      { app_id: null },
    );
    expect(created).toBe(true);
    expect(stored).toEqual({
      agent_id: 'writer',
      agent_type: 'generic',
      name: 'writer',
      purpose: 'Writes drafts',
      adapter_name: '',
      capabilities: [],
      model: null,
      tools: [],
      config: {},
      metadata: {},
      registered_at: '2026-02-01T10:00:00.000Z',
      updated_at: '2026-02-01T10:00:00.000Z',
      transport: null,
      retry: { max_attempts: 3, backoff_ms: 500, backoff_coefficient: 2 },
      app_id: null,
    });
  });

  it('keeps every contract field given and drops unknown top-level fields', async () => {
    const { service } = makeAgentServices();
    const { record: stored } = await service.register(
      {
        agent_id: 'cmo:v1.2',
        purpose: 'Marketing',
        name: 'CMO',
        agent_type: 'CMOAgent',
        adapter_name: 'marketing-lora',
        capabilities: ['campaigns'],
        model: 'gpt-x',
        tools: [{ name: 'search' }],
        config: { tone: 'warm' },
        metadata: { team: 'growth' },
        retry: { max_attempts: 5 },
        surprise: 'ignored',
      },
      { app_id: 'app-1' },
    );
    expect(stored).toMatchObject({
      agent_id: 'cmo:v1.2',
      name: 'CMO',
      agent_type: 'CMOAgent',
      adapter_name: 'marketing-lora',
      capabilities: ['campaigns'],
      model: 'gpt-x',
      tools: [{ name: 'search' }],
      config: { tone: 'warm' },
      metadata: { team: 'growth' },
      retry: { max_attempts: 5, backoff_ms: 500, backoff_coefficient: 2 },
      app_id: 'app-1',
    });
    expect(stored).not.toHaveProperty('surprise');
  });

  it('rejects a bad agent_id, a blank purpose and wrong types, naming each field', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register({ agent_id: 'has space', purpose: '   ', capabilities: 'x' }, { app_id: null }),
    );
    expect(error.code).toBe('validation_failed');
    expect(fields(error).sort()).toEqual(['agent_id', 'capabilities', 'purpose']);
    expect(error.errors?.every((e) => e.in === 'body')).toBe(true);
  });

  it('rejects an agent_id longer than 128 characters', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register({ agent_id: 'a'.repeat(129), purpose: 'p' }, { app_id: null }),
    );
    expect(fields(error)).toEqual(['agent_id']);
  });

  it('rejects an unknown transport type with an error on transport.type listing the known ones', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register(
        { agent_id: 'a', purpose: 'p', transport: { type: 'carrier-pigeon' } },
        { app_id: null },
      ),
    );
    expect(error.errors).toEqual([
      expect.objectContaining({
        field: 'transport.type',
        message: expect.stringContaining("unknown transport type 'carrier-pigeon'"),
      }),
    ]);
    expect(error.errors?.[0]?.message).toContain('builtin, http, mcp, servicebus');
  });

  it('rejects a transport without a type, or that is not an object', async () => {
    const { service } = makeAgentServices();
    expect(
      fields(
        await rejection(service.register({ agent_id: 'a', purpose: 'p', transport: {} }, { app_id: null })),
      ),
    ).toEqual(['transport.type']);
    expect(
      fields(
        await rejection(
          service.register({ agent_id: 'a', purpose: 'p', transport: 'http' }, { app_id: null }),
        ),
      ),
    ).toEqual(['transport']);
  });

  it.each([
    ['a non-http URL', { type: 'http', url: 'ftp://agents.example/x' }, 'transport.url'],
    ['a URL with credentials', { type: 'http', url: 'https://user:pw@agents.example/x' }, 'transport.url'],
    ['an unknown setting', { type: 'http', url: 'https://agents.example/x', timeout: 3 }, 'transport'],
    [
      'a zero timeout',
      { type: 'http', url: 'https://agents.example/x', timeout_seconds: 0 },
      'transport.timeout_seconds',
    ],
    [
      'a header the kernel sets',
      { type: 'http', url: 'https://agents.example/x', headers: { traceparent: 'x' } },
      'transport.headers.traceparent',
    ],
    [
      'a header value with a line break',
      { type: 'http', url: 'https://agents.example/x', headers: { 'X-Key': 'a\r\nb' } },
      'transport.headers.X-Key',
    ],
    [
      'the same header twice',
      { type: 'http', url: 'https://agents.example/x', headers: { 'X-Key': 'a', 'x-key': 'b' } },
      'transport.headers',
    ],
    ['an unknown builtin', { type: 'builtin', name: 'oracle' }, 'transport.name'],
    ['a servicebus transport without a queue', { type: 'servicebus' }, 'transport.queue'],
    ['an mcp transport without a tool', { type: 'mcp', server: 'files' }, 'transport.tool'],
  ])('rejects %s', async (_what, transport, field) => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register({ agent_id: 'a', purpose: 'p', transport }, { app_id: null }),
    );
    expect(error.code).toBe('validation_failed');
    expect(fields(error)).toContain(field);
  });

  it('names the registered builtins when the name is unknown', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register(
        { agent_id: 'a', purpose: 'p', transport: { type: 'builtin', name: 'oracle' } },
        { app_id: null },
      ),
    );
    expect(error.errors?.[0]?.message).toContain('echo, router, summariser');
  });

  it('accepts every core transport shape', async () => {
    const { service } = makeAgentServices();
    for (const [id, transport] of Object.entries({
      h: { type: 'http', url: 'http://127.0.0.1:8080/agent', timeout_seconds: 2.5 },
      b: { type: 'builtin', name: 'echo' },
      s: { type: 'servicebus', queue: 'agent-tasks', reply_queue: 'agent-replies' },
      m: { type: 'mcp', server: 'files', tool: 'read' },
    })) {
      const { record: stored } = await service.register(
        { agent_id: id, purpose: 'p', transport },
        { app_id: null },
      );
      expect(stored.transport).toEqual(transport);
    }
  });

  it("checks a builtin's config at registration (router routes must name agent ids)", async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register(
        {
          agent_id: 'r',
          purpose: 'p',
          transport: { type: 'builtin', name: 'router' },
          config: { routes: { billing: 'not an id!' } },
        },
        { app_id: null },
      ),
    );
    expect(fields(error)).toEqual(['config.routes.billing']);
  });

  it('rejects retry policies outside the bounds', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register(
        { agent_id: 'a', purpose: 'p', retry: { max_attempts: 0, backoff_coefficient: 0.5 } },
        { app_id: null },
      ),
    );
    expect(fields(error).sort()).toEqual(['retry.backoff_coefficient', 'retry.max_attempts']);
  });

  it('refuses a record too large to store', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register(
        { agent_id: 'a', purpose: 'p', metadata: { blob: 'x'.repeat(250_000) } },
        { app_id: null },
      ),
    );
    expect(error.code).toBe('validation_failed');
    expect(error.detail).toBe('The agent registration is too large.');
  });
});

describe('agent registration: idempotency', () => {
  it('updates an existing agent: created=false, registered_at kept, updated_at moved', async () => {
    const { service } = makeAgentServices({ now: steppingClock() });
    const first = await service.register({ agent_id: 'w', purpose: 'one' }, { app_id: null });
    const second = await service.register({ agent_id: 'w', purpose: 'two' }, { app_id: null });
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.record.registered_at).toBe(first.record.registered_at);
    expect(Date.parse(second.record.updated_at)).toBeGreaterThan(Date.parse(first.record.updated_at));
    expect((await service.get('w')).purpose).toBe('two');
    expect(await service.list()).toHaveLength(1);
  });

  it("refuses to let one app change another app's agent, but lets kernel-wide callers update it", async () => {
    const { service } = makeAgentServices();
    await service.register({ agent_id: 'w', purpose: 'one' }, { app_id: 'app-a' });
    const error = await rejection(service.register({ agent_id: 'w', purpose: 'two' }, { app_id: 'app-b' }));
    expect(error.code).toBe('conflict');
    const { record: updated } = await service.register({ agent_id: 'w', purpose: 'three' }, { app_id: null });
    expect(updated.app_id).toBe('app-a');
    expect(updated.purpose).toBe('three');
  });
});

describe('agent registration: secrets', () => {
  const body = {
    agent_id: 'billing',
    purpose: 'Bills',
    transport: {
      type: 'http',
      url: 'https://agents.example/billing',
      headers: { Authorization: secret, 'X-Api-Key': 'key-123-secret' },
    },
  };

  it('stores header values in the secret store and keeps only references in the record', async () => {
    const { service, secrets, registry } = makeAgentServices();
    const { record: stored } = await service.register(body, { app_id: null });
    expect(stored.transport).toEqual({
      type: 'http',
      url: 'https://agents.example/billing',
      headers: {
        Authorization: { secret_ref: 'agent/billing/header/Authorization' },
        'X-Api-Key': { secret_ref: 'agent/billing/header/X-Api-Key' },
      },
    });
    expect(await secrets.get('agent/billing/header/Authorization')).toBe(secret);
    expect(await secrets.get('agent/billing/header/X-Api-Key')).toBe('key-123-secret');
    const persisted = JSON.stringify(await registry.get('billing'));
    expect(persisted).not.toContain(secret);
    expect(persisted).not.toContain('key-123-secret');
  });

  it('never returns a secret value: toWire masks every header', async () => {
    const { service } = makeAgentServices();
    const { record: stored } = await service.register(body, { app_id: null });
    const wire = service.toWire(stored);
    const text = JSON.stringify(wire);
    expect(text).not.toContain(secret);
    expect(text).not.toContain('s3cr3t');
    expect(text).not.toContain('key-123-secret');
    expect(text).not.toContain('secret_ref');
    expect(wire.transport).toEqual({
      type: 'http',
      url: 'https://agents.example/billing',
      headers: { Authorization: '***', 'X-Api-Key': '***' },
    });
    expect(wire).not.toHaveProperty('app_id');
    expect(Object.keys(wire).sort()).toEqual(
      [
        'adapter_name',
        'agent_id',
        'agent_type',
        'capabilities',
        'config',
        'metadata',
        'model',
        'name',
        'purpose',
        'registered_at',
        'retry',
        'tools',
        'transport',
        'updated_at',
      ].sort(),
    );
  });

  it('masks secret-sounding values even if a transport stored them in clear, and never throws', () => {
    const { service } = makeAgentServices();
    const cyclic: Record<string, unknown> = { type: 'odd', api_key: 'clear-key', nested: { password: 'pw' } };
    cyclic['self'] = cyclic;
    const wire = service.toWire(record({ transport: cyclic as AgentRecord['transport'] }));
    const text = JSON.stringify(wire);
    expect(text).not.toContain('clear-key');
    expect(text).not.toContain('"pw"');
  });

  it('replaces secrets on re-registration and deletes those of removed headers', async () => {
    const { service, secrets } = makeAgentServices();
    await service.register(body, { app_id: null });
    await service.register(
      { ...body, transport: { ...body.transport, headers: { Authorization: 'Bearer new' } } },
      { app_id: null },
    );
    expect(await secrets.get('agent/billing/header/Authorization')).toBe('Bearer new');
    expect(await secrets.get('agent/billing/header/X-Api-Key')).toBeUndefined();
    expect(secrets.names()).toEqual(['agent/billing/header/Authorization']);
  });

  it('deletes all of an agent’s secrets when it re-registers without headers', async () => {
    const { service, secrets } = makeAgentServices();
    await service.register(body, { app_id: null });
    await service.register(
      { agent_id: 'billing', purpose: 'Bills', transport: { type: 'builtin', name: 'echo' } },
      {
        app_id: null,
      },
    );
    expect(secrets.names()).toEqual([]);
  });

  it('does not echo secrets in validation errors', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(
      service.register({ ...body, transport: { ...body.transport, url: 'not a url' } }, { app_id: null }),
    );
    expect(
      JSON.stringify({ message: error.message, detail: error.detail, errors: error.errors }),
    ).not.toContain('s3cr3t');
  });
});

describe('agent lookup', () => {
  it('answers not_found naming the agent id', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(service.get('ghost'));
    expect(error.code).toBe('not_found');
    expect(error.detail).toContain("'ghost'");
    expect(error.extensions).toEqual({ agent_id: 'ghost' });
  });

  it('answers not_found for an id that could never be registered, without asking the store', async () => {
    const { service } = makeAgentServices();
    const error = await rejection(service.get('a/b'));
    expect(error.code).toBe('not_found');
  });

  it('requireAgents returns the records in order, or names every unknown id', async () => {
    const { service } = makeAgentServices();
    await service.register({ agent_id: 'a', purpose: 'p' }, { app_id: null });
    await service.register({ agent_id: 'b', purpose: 'p' }, { app_id: null });
    expect((await service.requireAgents(['b', 'a', 'b'], null)).map((r) => r.agent_id)).toEqual(['b', 'a']);
    const error = await rejection(service.requireAgents(['a', 'x', 'b', 'y', 'bad id'], null));
    expect(error.code).toBe('not_found');
    expect(error.status).toBe(404);
    expect(error.detail).toBe('Unknown agent ids: x, y, bad id.');
    expect(error.extensions).toEqual({ unknown_agent_ids: ['x', 'y', 'bad id'] });
  });

  it("requireAgents treats another app's agent as unknown, and lets an app use shared agents", async () => {
    const { service } = makeAgentServices();
    await service.register({ agent_id: 'shared', purpose: 'p' }, { app_id: null });
    await service.register({ agent_id: 'mine', purpose: 'p' }, { app_id: 'app-1' });
    await service.register({ agent_id: 'theirs', purpose: 'p' }, { app_id: 'app-2' });
    expect((await service.requireAgents(['mine', 'shared'], 'app-1')).map((r) => r.agent_id)).toEqual([
      'mine',
      'shared',
    ]);
    const refused = await rejection(service.requireAgents(['mine', 'theirs'], 'app-1'));
    const missing = await rejection(service.requireAgents(['mine', 'nosuch'], 'app-1'));
    expect(refused.status).toBe(404);
    expect(refused.detail).toBe('Unknown agent id: theirs.');
    expect(missing.detail).toBe('Unknown agent id: nosuch.');
    // Kernel-wide callers may use any agent.
    expect(await service.requireAgents(['theirs', 'mine'], null)).toHaveLength(2);
  });

  it('lists agents sorted by id, optionally of one type', async () => {
    const { service } = makeAgentServices();
    await service.register({ agent_id: 'c', purpose: 'p', agent_type: 'writer' }, { app_id: null });
    await service.register({ agent_id: 'a', purpose: 'p', agent_type: 'writer' }, { app_id: 'app-1' });
    await service.register({ agent_id: 'b', purpose: 'p', agent_type: 'critic' }, { app_id: null });
    expect((await service.list()).map((r) => r.agent_id)).toEqual(['a', 'b', 'c']);
    expect((await service.list('writer')).map((r) => r.agent_id)).toEqual(['a', 'c']);
    expect((await service.list(undefined, { app_id: 'app-1' })).map((r) => r.agent_id)).toEqual(['a']);
  });
});

describe('agent storage names', () => {
  it('declares the agent tables in resource-names, which infra provisions', () => {
    expect(storageNames.tables).toEqual(
      expect.arrayContaining([agentStorageNames.agentsTable, agentStorageNames.secretsTable]),
    );
  });
});
