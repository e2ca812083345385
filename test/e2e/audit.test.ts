import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningProcess } from '../support/processes';
import { apiClient, startKernel, unique } from '../support/kernel';
import { localToken } from '../support/tokens';

/**
 * The audit trail over HTTP: refused requests (401 and 403) and key changes are
 * recorded with their reasons; nothing secret reaches a record, a response or the
 * log; auditors read it with contract.md's filters and can verify the chain.
 */

interface Entry {
  id: string;
  event_type: string;
  subject_id: string;
  subject_type: string;
  action: string;
  severity: string;
  target: string | null;
  context: Record<string, unknown>;
  timestamp: string;
  sequence: number;
  hash: string;
  app_id: string | null;
}

let kernel: RunningProcess;
let admin: ReturnType<typeof apiClient>;
let auditor: ReturnType<typeof apiClient>;
const run = unique('audit');

beforeAll(async () => {
  kernel = await startKernel();
  admin = apiClient(kernel.baseUrl, await localToken({ sub: 'root', roles: ['admin'] }));
  auditor = apiClient(kernel.baseUrl, await localToken({ sub: 'aude', roles: ['auditor'] }));
}, 90_000);

afterAll(async () => {
  await kernel?.stop();
});

async function trail(query: string): Promise<Entry[]> {
  const response = await auditor<{ entries: Entry[] }>('GET', `/audit/trail?${query}`);
  expect(response.status, JSON.stringify(response.body)).toBe(200);
  return response.body.entries;
}

/** Now, as a query parameter: entries recorded from here on (all e2e kernels share one trail). */
const since = () => `start_time=${encodeURIComponent(new Date().toISOString())}`;

const mine = (entries: Entry[]) => entries.filter((entry) => String(entry.context['path']).includes(run));

describe('authentication failures', () => {
  it('are recorded with the reason the caller was not told', async () => {
    const path = `/orchestrations/${run}-probe`;
    const from = since();
    const tampered = `${(await localToken({ sub: 'x' })).slice(0, -4)}AAAA`;
    const attempts: readonly [string | undefined, string][] = [
      [undefined, 'missing'],
      ['not-a-token', 'malformed'],
      [tampered, 'bad_signature'],
      [`aos_0123456789abcdef0123_${'w'.repeat(43)}`, 'unknown_key'],
    ];
    for (const [token] of attempts) {
      const response = await apiClient(kernel.baseUrl, token)('GET', path);
      expect(response.status).toBe(401);
      expect(JSON.stringify(response.body)).not.toMatch(/malformed|bad_signature|unknown_key|expired/);
    }
    const recorded = mine(await trail(`event_type=auth.failed&limit=1000&${from}`));
    expect(recorded.map((entry) => entry.context['reason']).sort()).toEqual(
      attempts.map(([, reason]) => reason).sort(),
    );
    for (const entry of recorded) {
      expect(entry).toMatchObject({
        event_type: 'auth.failed',
        action: 'authenticate',
        severity: 'warning',
        target: 'orchestrations_get',
        context: { method: 'GET', path: `/api${path}` },
      });
      expect(entry.sequence).toBeGreaterThan(0);
      expect(entry.hash).toMatch(/^[0-9a-f]{64}$/);
    }
    expect(recorded.find((entry) => entry.context['reason'] === 'unknown_key')).toMatchObject({
      subject_id: 'key:0123456789abcdef0123',
      subject_type: 'api_key',
    });
    // The tokens themselves are nowhere in the records.
    expect(JSON.stringify(recorded)).not.toContain(tampered.split('.')[2]);
  });

  it('records a 403 against the principal, with the permission it lacked', async () => {
    const reader = apiClient(kernel.baseUrl, await localToken({ sub: `${run}-rita`, roles: ['reader'] }));
    expect((await reader('POST', '/auth/keys', { name: 'k', roles: ['reader'] })).status).toBe(403);
    const denied = await trail(`event_type=auth.denied&subject_id=${run}-rita`);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      subject_type: 'user',
      action: 'authorize',
      target: 'auth_keys_create',
      context: { missing_permission: 'keys:manage', method: 'POST' },
    });
  });
});

describe('API keys', () => {
  it('never appear in the log, in responses after creation, or in audit records', async () => {
    const from = since();
    const created = await admin('POST', '/auth/keys', {
      name: `${run}-ci`,
      roles: ['reader'],
      app_id: `${run}-app`,
    });
    expect(created.status).toBe(201);
    const key = String(created.body['key']);
    const keyId = String(created.body['key_id']);
    const secret = key.slice(`aos_${keyId}_`.length);
    expect(secret).toHaveLength(43);

    const byKey = apiClient(kernel.baseUrl, key);
    expect((await byKey('GET', '/auth/whoami')).status).toBe(200);
    expect((await byKey('POST', '/agents/register', { agent_id: `${run}-a`, purpose: 'x' })).status).toBe(
      403,
    );
    const viaHeader = await fetch(`${kernel.baseUrl}/api/auth/whoami`, { headers: { 'x-api-key': key } });
    expect(viaHeader.status).toBe(200);
    expect((await admin('DELETE', `/auth/keys/${keyId}`)).status).toBe(204);
    expect((await byKey('GET', `/orchestrations/${run}-after-revoke`)).status).toBe(401);
    // A wrong secret for a real key id.
    const wrong = apiClient(kernel.baseUrl, `aos_${keyId}_${'x'.repeat(secret.length)}`);
    expect((await wrong('GET', `/orchestrations/${run}-wrong`)).status).toBe(401);

    const responses = [await admin('GET', '/auth/keys'), await auditor('GET', '/audit/trail?limit=1000')];
    for (const response of responses) expect(JSON.stringify(response.body)).not.toContain(secret);

    const entries = await trail(`limit=1000&${from}`);
    const aboutKey = entries.filter(
      (entry) => entry.target === `key:${keyId}` || entry.subject_id === `key:${keyId}`,
    );
    expect(
      aboutKey.map((entry) => [entry.event_type, entry.context['reason'] ?? entry.action]).sort(),
    ).toEqual(
      [
        ['auth.denied', 'authorize'],
        ['auth.failed', 'revoked'],
        ['auth.failed', 'wrong_secret'],
        ['auth.key.created', 'create'],
        ['auth.key.revoked', 'revoke'],
      ].sort(),
    );
    expect(JSON.stringify(entries)).not.toContain(secret);
    expect(kernel.output()).not.toContain(secret);
    expect(kernel.output()).not.toContain(key);
  });
});

describe('GET /api/audit/trail', () => {
  it('applies time, type, subject and limit filters, newest first', async () => {
    const subject = `${run}-filter`;
    const who = apiClient(kernel.baseUrl, await localToken({ sub: subject, roles: ['agent'] }));
    const before = new Date().toISOString();
    for (let i = 0; i < 3; i += 1) expect((await who('GET', '/auth/keys')).status).toBe(403);
    const all = await trail(`subject_id=${subject}`);
    expect(all).toHaveLength(3);
    const sequences = all.map((entry) => entry.sequence);
    expect(sequences).toEqual([...sequences].sort((a, b) => b - a));
    expect(await trail(`subject_id=${subject}&limit=2`)).toHaveLength(2);
    expect(await trail(`subject_id=${subject}&start_time=${encodeURIComponent(before)}`)).toHaveLength(3);
    const justBefore = new Date(Date.parse(before) - 1).toISOString();
    expect(await trail(`subject_id=${subject}&end_time=${encodeURIComponent(justBefore)}`)).toHaveLength(0);
    expect(await trail(`subject_id=${subject}&event_type=auth.failed`)).toHaveLength(0);
  });

  it('answers a bad filter with problem+json naming the field', async () => {
    for (const [query, field] of [
      ['limit=0', 'limit'],
      ['limit=5000', 'limit'],
      ['start_time=yesterday', 'start_time'],
      ['color=blue', ''],
    ] as const) {
      const response = await auditor<{ errors: { field: string; in: string }[] }>(
        'GET',
        `/audit/trail?${query}`,
      );
      expect(response.status, query).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.body.errors[0]?.in).toBe('query');
      if (field !== '') expect(response.body.errors[0]?.field).toBe(field);
    }
  });

  it('needs auditor or admin, and shows an app-bound auditor only its app', async () => {
    for (const roles of [['reader'], ['operator'], ['app'], ['approver']]) {
      const caller = apiClient(kernel.baseUrl, await localToken({ sub: `${run}-nosy`, roles }));
      expect((await caller('GET', '/audit/trail')).status, roles.join()).toBe(403);
    }
    expect((await apiClient(kernel.baseUrl, undefined)('GET', '/audit/trail')).status).toBe(401);
    expect((await admin('GET', '/audit/trail?limit=1')).status).toBe(200);

    const app = `${run}-iso`;
    const appAdmin = apiClient(
      kernel.baseUrl,
      await localToken({ sub: `${run}-own`, roles: ['admin'], app }),
    );
    expect((await appAdmin('POST', '/auth/keys', { name: 'mine', roles: ['reader'] })).status).toBe(201);
    const scoped = apiClient(kernel.baseUrl, await localToken({ sub: `${run}-aa`, roles: ['auditor'], app }));
    const seen = await scoped<{ entries: Entry[] }>('GET', '/audit/trail?limit=1000');
    expect(seen.status).toBe(200);
    expect(seen.body.entries.length).toBeGreaterThan(0);
    expect(seen.body.entries.every((entry) => entry.app_id === app)).toBe(true);
    expect((await scoped('GET', '/audit/trail/verify')).status).toBe(403);
  });
});

describe('GET /api/audit/trail/verify', () => {
  it('re-computes the chain that every kernel process appends to', async () => {
    const from = since();
    // Another kernel process on the same storage appends to the same chain.
    const second = await startKernel();
    try {
      const anonymous = apiClient(second.baseUrl, undefined);
      await Promise.all(
        Array.from({ length: 5 }, (_, i) => anonymous('GET', `/orchestrations/${run}-second-${i}`)),
      );
      await Promise.all(
        Array.from({ length: 5 }, (_, i) =>
          apiClient(kernel.baseUrl, undefined)('GET', `/orchestrations/${run}-first-${i}`),
        ),
      );
    } finally {
      await second.stop();
    }
    const verdict = await auditor('GET', '/audit/trail/verify');
    expect(verdict.status).toBe(200);
    expect(verdict.body).toMatchObject({ valid: true, first_sequence: 1 });
    expect(Number(verdict.body['checked'])).toBeGreaterThanOrEqual(10);
    const recent = mine(await trail(`event_type=auth.failed&limit=1000&${from}`)).filter((entry) =>
      /-(first|second)-\d$/.test(String(entry.context['path'])),
    );
    expect(recent).toHaveLength(10);
    expect(new Set(recent.map((entry) => entry.sequence)).size).toBe(10);
  }, 120_000);
});

describe('the audit checkpoint timer', () => {
  it('verifies the trail on its schedule and logs the head, recording a checkpoint entry', async () => {
    const ticking = await startKernel({ AOS_AUDIT_CHECKPOINT_SCHEDULE: '*/2 * * * * *' });
    try {
      // Something to verify: a refusal on this kernel.
      expect((await apiClient(ticking.baseUrl, undefined)('GET', `/orchestrations/${run}-tick`)).status).toBe(
        401,
      );
      await vi.waitFor(
        () =>
          expect(ticking.output()).toMatch(/audit checkpoint: head \d+ [0-9a-f]{64}; verified .*: intact/),
        { timeout: 20_000, interval: 250 },
      );
      const checkpoints = await trail('event_type=audit.checkpoint&limit=5');
      expect(checkpoints.length).toBeGreaterThan(0);
      expect(checkpoints[0]).toMatchObject({
        subject_type: 'kernel',
        action: 'checkpoint',
        severity: 'info',
        context: { valid: true },
      });
      expect(checkpoints[0]?.context['head_hash']).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await ticking.stop();
    }
  }, 60_000);
});
