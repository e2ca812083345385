import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProcess } from '../support/processes';
import { apiClient, startKernel, unique } from '../support/kernel';
import { localToken } from '../support/tokens';

/**
 * Authentication and authorization over HTTP: every route but bare liveness needs
 * a caller; roles decide what a caller may do; an app sees only its own work;
 * API keys work, expire and revoke; a principal is rate limited.
 */

let kernel: RunningProcess;
let admin: ReturnType<typeof apiClient>;
const run = unique('auth');

beforeAll(async () => {
  kernel = await startKernel();
  admin = apiClient(kernel.baseUrl, await localToken({ sub: 'root', roles: ['admin'] }));
  const registered = await admin('POST', '/agents/register', {
    agent_id: `${run}-echo`,
    purpose: 'echo',
    transport: { type: 'builtin', name: 'echo' },
  });
  expect(registered.status).toBe(201);
}, 90_000);

afterAll(async () => {
  await kernel?.stop();
});

describe('authentication', () => {
  it('answers 401 problem+json without credentials or with a bad token, without saying why', async () => {
    for (const token of [undefined, 'not-a-token', `${(await localToken()).slice(0, -4)}AAAA`]) {
      const response = await apiClient(kernel.baseUrl, token)('GET', '/orchestrations');
      expect(response.status, String(token)).toBe(401);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(JSON.stringify(response.body)).not.toMatch(/signature|expired|kid/i);
    }
  });

  it('tells a caller who it is', async () => {
    const me = await apiClient(
      kernel.baseUrl,
      await localToken({ sub: 'ann', roles: ['reader'], app: 'app-one' }),
    )('GET', '/auth/whoami');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ name: 'ann', app_id: 'app-one', roles: ['reader'] });
    expect(me.body['permissions']).toEqual(expect.arrayContaining(['identity:read']));
  });
});

/** Two callers with the app role, bound to different apps. */
async function twoApps() {
  const client = async (sub: string, app: string) =>
    apiClient(kernel.baseUrl, await localToken({ sub, roles: ['app'], app }));
  return { appOne: await client('one', 'app-one'), appTwo: await client('two', 'app-two') };
}

describe('authorization', () => {
  it('answers 403 naming the missing permission for roles that lack it', async () => {
    const reader = apiClient(kernel.baseUrl, await localToken({ sub: 'rita', roles: ['reader'] }));
    const submit = await reader('POST', '/orchestrations', { agent_ids: [`${run}-echo`], purpose: 'x' });
    expect(submit.status).toBe(403);
    expect(String(submit.body['detail'])).toContain('permission');
    const register = await reader('POST', '/agents/register', { agent_id: `${run}-nope`, purpose: 'x' });
    expect(register.status).toBe(403);
    const list = await reader('GET', '/orchestrations');
    expect(list.status).toBe(200);
    const agent = apiClient(kernel.baseUrl, await localToken({ sub: 'bot', roles: ['agent'] }));
    expect((await agent('POST', '/auth/keys', { name: 'k', roles: ['reader'] })).status).toBe(403);
  });

  it("keeps apps apart: another app's orchestration answers 404", async () => {
    const { appOne, appTwo } = await twoApps();
    const submitted = await appOne('POST', '/orchestrations', {
      orchestration_id: `${run}-mine`,
      agent_ids: [`${run}-echo`],
      workflow: 'sequential',
      purpose: 'private',
    });
    expect(submitted.status).toBe(202);
    expect((await appOne('GET', `/orchestrations/${run}-mine`)).status).toBe(200);
    // Kernel-wide operators see every app's work.
    expect((await admin('GET', `/orchestrations/${run}-mine`)).status).toBe(200);
    expect((await appTwo('GET', `/orchestrations/${run}-mine`)).status).toBe(404);
    expect((await appTwo('POST', `/orchestrations/${run}-mine/cancel`, {})).status).toBe(404);
    const listed = await appTwo<{ orchestrations: { orchestration_id: string }[] }>(
      'GET',
      '/orchestrations?limit=200',
    );
    expect(listed.body.orchestrations.map((o) => o.orchestration_id)).not.toContain(`${run}-mine`);
  });

  it("keeps apps apart: another app's agent cannot be put to work, and answers like a missing one", async () => {
    const { appOne, appTwo } = await twoApps();
    const registered = await appOne('POST', '/agents/register', {
      agent_id: `${run}-one-echo`,
      purpose: 'echo for app one',
      transport: { type: 'builtin', name: 'echo' },
    });
    expect(registered.status).toBe(201);
    const borrowed = await appTwo('POST', '/orchestrations', {
      agent_ids: [`${run}-one-echo`],
      workflow: 'sequential',
      purpose: 'borrow',
    });
    const missing = await appTwo('POST', '/orchestrations', {
      agent_ids: [`${run}-no-such-agent`],
      workflow: 'sequential',
      purpose: 'borrow',
    });
    expect(borrowed.status).toBe(404);
    expect(borrowed.body['unknown_agent_ids']).toEqual([`${run}-one-echo`]);
    expect(missing.status).toBe(404);
    expect(borrowed.body['title']).toBe(missing.body['title']);
    // The owner, and shared (kernel-wide) agents, still work for app two's own orchestrations.
    expect(
      (
        await appOne('POST', '/orchestrations', {
          agent_ids: [`${run}-one-echo`],
          workflow: 'sequential',
          purpose: 'own',
        })
      ).status,
    ).toBe(202);
    expect(
      (
        await appTwo('POST', '/orchestrations', {
          agent_ids: [`${run}-echo`],
          workflow: 'sequential',
          purpose: 'shared',
        })
      ).status,
    ).toBe(202);
  });
});

describe('API keys', () => {
  it('are shown once, work, never appear again, and stop working when revoked', async () => {
    const created = await admin('POST', '/auth/keys', { name: 'ci', roles: ['reader'] });
    expect(created.status).toBe(201);
    const key = String(created.body['key']);
    expect(key).toMatch(/^aos_/);
    const listed = await admin('GET', '/auth/keys');
    expect(JSON.stringify(listed.body)).not.toContain(key.split('_').at(-1));
    const byKey = apiClient(kernel.baseUrl, key);
    expect((await byKey('GET', '/auth/whoami')).body).toMatchObject({ kind: 'key', roles: ['reader'] });
    const viaHeader = await fetch(`${kernel.baseUrl}/api/auth/whoami`, { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
    expect((await admin('DELETE', `/auth/keys/${String(created.body['key_id'])}`)).status).toBe(204);
    expect((await byKey('GET', '/auth/whoami')).status).toBe(401);
  });

  it('expire', async () => {
    const created = await admin('POST', '/auth/keys', {
      name: 'short',
      roles: ['reader'],
      expires_at: new Date(Date.now() + 1500).toISOString(),
    });
    expect(created.status).toBe(201);
    const byKey = apiClient(kernel.baseUrl, String(created.body['key']));
    expect((await byKey('GET', '/auth/whoami')).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await byKey('GET', '/auth/whoami')).status).toBe(401);
  });
});

describe('rate limits', () => {
  let limited: RunningProcess;
  afterAll(async () => {
    await limited?.stop();
  });

  it('answers 429 with Retry-After once a principal spends its burst', async () => {
    limited = await startKernel({ AOS_RATE_LIMIT_CAPACITY: '3', AOS_RATE_LIMIT_REFILL_PER_SECOND: '1' });
    const api = apiClient(limited.baseUrl, await localToken({ sub: 'busy', roles: ['reader'] }));
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 6; i += 1) {
      const response = await api('GET', '/auth/whoami');
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get('retry-after');
    }
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
    expect(statuses).toContain(429);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    // Another principal has its own bucket.
    const other = apiClient(limited.baseUrl, await localToken({ sub: 'calm', roles: ['reader'] }));
    expect((await other('GET', '/auth/whoami')).status).toBe(200);
  }, 60_000);
});
