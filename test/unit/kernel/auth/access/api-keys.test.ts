import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../../../src/adapters/memory/api-key-store';
import type {
  ApiKeyRejection,
  ApiKeyServiceOptions,
  ApiKeyStore,
  Principal,
} from '../../../../../src/kernel/auth/access';
import {
  ApiKeyService,
  apiKeyRejectionOf,
  credentialFrom,
  parseApiKey,
} from '../../../../../src/kernel/auth/access';
import { KernelError, toProblem } from '../../../../../src/kernel/errors';
import { apiKeyStoreContract } from './api-key-store-contract';
import { principal } from './principals';

apiKeyStoreContract('MemoryApiKeyStore', async () => {
  const store = new MemoryApiKeyStore();
  return { store, raw: async () => store.dump() };
});

const admin = principal({ id: 'p-admin', name: 'admin@contoso.example', roles: ['admin'] });
const appA = principal({ id: 'p-app-a', name: 'app-a', roles: ['app'], app_id: 'app-a' });
const appB = principal({ id: 'p-app-b', name: 'app-b', roles: ['app'], app_id: 'app-b' });

/** A store that counts last-used writes and can be told to fail them. */
class CountingStore extends MemoryApiKeyStore {
  used = 0;
  failUsed = false;
  override async markUsed(keyId: string, usedAt: string): Promise<void> {
    this.used += 1;
    if (this.failUsed) throw new Error('table down');
    await super.markUsed(keyId, usedAt);
  }
}

function setup(options: Partial<ApiKeyServiceOptions> = {}) {
  let now = new Date('2026-03-01T12:00:00.000Z');
  const store = new CountingStore();
  const rejections: ApiKeyRejection[] = [];
  const service = new ApiKeyService({
    store,
    now: () => now,
    onRejected: (rejection) => rejections.push(rejection),
    ...options,
  });
  return {
    store,
    service,
    rejections,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
    now: () => now,
  };
}

async function rejectionFor(service: ApiKeyService, presented: string) {
  const error = await service.authenticate(presented).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KernelError);
  return { error: error as KernelError, rejection: apiKeyRejectionOf(error) };
}

function tampered(secret: string): string {
  return `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
}

describe('ApiKeyService.create', () => {
  it('shows the secret once, in the aos_<key_id>_<secret> form, and the record without it', async () => {
    const { service } = setup();
    const created = await service.create({ name: 'ci', roles: ['reader'], app_id: null }, admin);
    expect(created.secret).toMatch(/^aos_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
    expect(created.secret.startsWith(`aos_${created.key_id}_`)).toBe(true);
    expect(parseApiKey(created.secret)?.key_id).toBe(created.key_id);
    expect(created.record).toEqual({
      key_id: created.key_id,
      name: 'ci',
      roles: ['reader'],
      app_id: null,
      created_at: '2026-03-01T12:00:00.000Z',
      created_by: 'p-admin',
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
      status: 'active',
    });
    const secondLook = await service.list({}, admin);
    expect(JSON.stringify(secondLook)).not.toContain(created.secret.slice(-43));
  });

  it('makes a different key each time', async () => {
    const { service } = setup();
    const one = await service.create({ name: 'a', roles: ['reader'] }, admin);
    const two = await service.create({ name: 'a', roles: ['reader'] }, admin);
    expect(one.key_id).not.toBe(two.key_id);
    expect(one.secret).not.toBe(two.secret);
  });

  it('keeps only a salted hash: the secret is nowhere in what the store holds', async () => {
    const { service, store } = setup();
    const one = await service.create({ name: 'a', roles: ['reader'] }, admin);
    const held = store.dump();
    expect(held).not.toContain(one.secret);
    expect(held).not.toContain(one.secret.slice(-43));
    const [stored] = await store.list();
    expect(stored?.hash_algorithm).toBe('hmac-sha256');
    expect(stored?.salt).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(stored?.secret_hash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses roles beyond its creator’s (403 naming the role)', async () => {
    const { service, store } = setup();
    // Not even an admin may hand out approving: no admin holds it.
    const approver = await service.create({ name: 'x', roles: ['approver'] }, admin).catch((e: unknown) => e);
    expect((approver as KernelError).status).toBe(403);
    expect((approver as KernelError).detail).toContain("'approver'");
    expect((approver as KernelError).detail).toContain("'orchestrations:approve'");
    const error = await service.create({ name: 'x', roles: ['app', 'admin'] }, appA).catch((e: unknown) => e);
    expect((error as KernelError).status).toBe(403);
    expect((error as KernelError).detail).toMatch(/^A key cannot have the role 'admin': /);
    const agent = await service.create({ name: 'x', roles: ['agent'] }, appA).catch((e: unknown) => e);
    expect((agent as KernelError).detail).toContain("'orchestrations:reply'");
    expect(await store.list()).toEqual([]);
    await expect(service.create({ name: 'x', roles: ['app'] }, appA)).resolves.toBeDefined();
  });

  it('refuses permissions beyond what a delegated creator may do, scopes included', async () => {
    const { service } = setup();
    const narrowed = principal({ kind: 'user', roles: ['admin'], scopes: ['Keys.Manage'] });
    const error = await service.create({ name: 'x', roles: ['admin'] }, narrowed).catch((e: unknown) => e);
    expect((error as KernelError).status).toBe(403);
    expect((error as KernelError).detail).toContain("'admin'");
    expect((error as KernelError).extensions['missing_permissions']).toContain('orchestrations:write');
    const allowed = await service.create(
      { name: 'keys', roles: ['reader'] },
      principal({
        kind: 'user',
        roles: ['admin'],
        scopes: ['Keys.Manage', 'Kernel.Read'],
      }),
    );
    expect(allowed.record.roles).toEqual(['reader']);
  });

  it('needs keys:manage to create, list or revoke', async () => {
    const { service } = setup();
    const reader = principal({ roles: ['reader'] });
    for (const attempt of [
      service.create({ name: 'x', roles: ['reader'] }, reader),
      service.list({}, reader),
      service.revoke('00000000000000000000', reader),
    ]) {
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect((error as KernelError).status).toBe(403);
      expect((error as KernelError).detail).toBe("This operation needs the permission 'keys:manage'.");
    }
  });

  it('binds the keys of an app-bound creator to its app, and refuses other apps', async () => {
    const { service } = setup();
    const own = await service.create({ name: 'mine', roles: ['app'] }, appA);
    expect(own.record.app_id).toBe('app-a');
    for (const app_id of ['app-b', null]) {
      const error = await service
        .create({ name: 'x', roles: ['app'], app_id }, appA)
        .catch((e: unknown) => e);
      expect((error as KernelError).status).toBe(403);
    }
    const forB = await service.create({ name: 'for b', roles: ['app'], app_id: 'app-b' }, admin);
    expect(forB.record.app_id).toBe('app-b');
  });

  it('validates the request: 400 for a bad body or an expiry in the past', async () => {
    const { service } = setup();
    for (const body of [
      {},
      { name: '', roles: ['reader'] },
      { name: 'x', roles: [] },
      { name: 'x', roles: ['root'] },
      { name: 'x', roles: ['reader'], extra: 1 },
      { name: 'x', roles: ['reader'], expires_at: 'tomorrow' },
      { name: 'x', roles: ['reader'], expires_at: '2026-03-01T11:59:59Z' },
    ]) {
      const error = await service.create(body, admin).catch((e: unknown) => e);
      expect((error as KernelError).status, JSON.stringify(body)).toBe(400);
    }
  });
});

describe('ApiKeyService.authenticate', () => {
  it('turns a valid key into a key principal with the key’s roles and app', async () => {
    const { service } = setup();
    const created = await service.create({ name: 'worker', roles: ['app', 'agent'], app_id: 'app-a' }, admin);
    const who: Principal = await service.authenticate(created.secret);
    expect(who).toEqual({
      id: `key:${created.key_id}`,
      name: 'key:worker',
      kind: 'key',
      roles: ['app', 'agent'],
      scopes: [],
      app_id: 'app-a',
    });
  });

  it('answers every refusal with the same 401 and records the reason apart', async () => {
    const { service, rejections, advance } = setup();
    const good = await service.create({ name: 'good', roles: ['reader'] }, admin);
    const expiring = await service.create(
      { name: 'expiring', roles: ['reader'], expires_at: '2026-03-01T13:00:00Z' },
      admin,
    );
    const revoked = await service.create({ name: 'revoked', roles: ['reader'] }, admin);
    await service.revoke(revoked.key_id, admin);
    await expect(service.authenticate(expiring.secret)).resolves.toBeDefined();
    advance(60 * 60 * 1000);

    const cases = [
      { presented: 'not-a-key', reason: 'malformed', key_id: null },
      {
        presented: `aos_${'f'.repeat(20)}_${good.secret.slice(-43)}`,
        reason: 'unknown_key',
        key_id: 'f'.repeat(20),
      },
      { presented: tampered(good.secret), reason: 'wrong_secret', key_id: good.key_id },
      { presented: expiring.secret, reason: 'expired', key_id: expiring.key_id },
      { presented: revoked.secret, reason: 'revoked', key_id: revoked.key_id },
    ] as const;
    const problems: unknown[] = [];
    for (const { presented, reason, key_id } of cases) {
      const { error, rejection } = await rejectionFor(service, presented);
      expect(error.status).toBe(401);
      expect(rejection).toEqual({ reason, key_id, at: '2026-03-01T13:00:00.000Z' });
      const { problem, headers } = toProblem(error);
      expect(JSON.stringify(problem)).not.toContain(reason);
      expect(headers['www-authenticate']).toContain('Bearer');
      problems.push(problem);
    }
    expect(new Set(problems.map((problem) => JSON.stringify(problem))).size).toBe(1);
    expect(rejections.map((r) => r.reason)).toEqual(cases.map((c) => c.reason));
    await expect(service.authenticate(good.secret)).resolves.toBeDefined();
  });

  it('still refuses when the rejection hook throws', async () => {
    const { service } = setup({
      onRejected: () => {
        throw new Error('audit down');
      },
    });
    const { error } = await rejectionFor(service, 'aos_nope');
    expect(error.status).toBe(401);
  });

  it('writes last_used_at at most once a minute per key', async () => {
    const { service, store, advance } = setup();
    const created = await service.create({ name: 'busy', roles: ['reader'] }, admin);
    const lastUsed = async () => (await service.list({}, admin))[0]?.last_used_at;

    await service.authenticate(created.secret);
    expect(await lastUsed()).toBe('2026-03-01T12:00:00.000Z');
    advance(30_000);
    await service.authenticate(created.secret);
    await service.authenticate(created.secret);
    expect(store.used).toBe(1);
    expect(await lastUsed()).toBe('2026-03-01T12:00:00.000Z');
    advance(30_000);
    await service.authenticate(created.secret);
    expect(store.used).toBe(2);
    expect(await lastUsed()).toBe('2026-03-01T12:01:00.000Z');
  });

  it('lets the caller in when the last-used write fails', async () => {
    const { service, store } = setup();
    const created = await service.create({ name: 'x', roles: ['reader'] }, admin);
    store.failUsed = true;
    await expect(service.authenticate(created.secret)).resolves.toMatchObject({ kind: 'key' });
    expect(store.used).toBe(1);
  });
});

describe('ApiKeyService.list and revoke', () => {
  it('lists keys newest first with their status and never a secret or hash', async () => {
    const { service, advance } = setup();
    const first = await service.create({ name: 'first', roles: ['reader'] }, admin);
    advance(1000);
    const second = await service.create({ name: 'second', roles: ['reader'], app_id: 'app-a' }, admin);
    await service.revoke(first.key_id, admin);
    const listed = await service.list({}, admin);
    expect(listed.map((key) => [key.key_id, key.status])).toEqual([
      [second.key_id, 'active'],
      [first.key_id, 'revoked'],
    ]);
    const json = JSON.stringify(listed);
    for (const secret of [first.secret, second.secret]) expect(json).not.toContain(secret.slice(-43));
    expect(json).not.toMatch(/salt|secret_hash|hash_algorithm/);
    expect((await service.list({ app_id: 'app-a' }, admin)).map((key) => key.key_id)).toEqual([
      second.key_id,
    ]);
    expect((await service.list({ app_id: null }, admin)).map((key) => key.key_id)).toEqual([first.key_id]);
  });

  it("shows an app-bound principal only its app's keys", async () => {
    const { service } = setup();
    const a = await service.create({ name: 'a', roles: ['app'] }, appA);
    await service.create({ name: 'b', roles: ['app'] }, appB);
    await service.create({ name: 'kernel', roles: ['reader'] }, admin);
    expect((await service.list({}, appA)).map((key) => key.key_id)).toEqual([a.key_id]);
    expect(await service.list({ app_id: 'app-b' }, appA)).toEqual([]);
    expect(await service.list({ app_id: null }, appA)).toEqual([]);
  });

  it("answers 404 to an app revoking another app's key, exactly as for an unknown key", async () => {
    const { service } = setup();
    const b = await service.create({ name: 'b', roles: ['app'] }, appB);
    const hidden = await service.revoke(b.key_id, appA).catch((e: unknown) => e);
    const missing = await service.revoke('abababababababababab', appA).catch((e: unknown) => e);
    expect((hidden as KernelError).status).toBe(404);
    expect(toProblem(hidden).problem).toEqual({
      ...toProblem(missing).problem,
      title: `API key '${b.key_id}' not found`,
    });
    await expect(service.authenticate(b.secret)).resolves.toBeDefined();
  });

  it('revokes once and keeps the first revocation time', async () => {
    const { service, advance } = setup();
    const key = await service.create({ name: 'k', roles: ['reader'] }, admin);
    const revoked = await service.revoke(key.key_id, admin);
    expect(revoked).toMatchObject({ status: 'revoked', revoked_at: '2026-03-01T12:00:00.000Z' });
    advance(5000);
    expect((await service.revoke(key.key_id, admin)).revoked_at).toBe('2026-03-01T12:00:00.000Z');
    expect((await service.revoke('bad id', admin).catch((e: unknown) => e)) as KernelError).toMatchObject({
      status: 404,
    });
  });

  it('keeps a revocation when a last-used write races it', async () => {
    const store: ApiKeyStore = new MemoryApiKeyStore();
    const service = new ApiKeyService({ store });
    const key = await service.create({ name: 'k', roles: ['reader'] }, admin);
    await service.revoke(key.key_id, admin);
    await store.markUsed(key.key_id, new Date().toISOString());
    const { rejection } = await rejectionFor(service, key.secret);
    expect(rejection?.reason).toBe('revoked');
  });
});

describe('credentialFrom', () => {
  const key = `aos_${'a'.repeat(20)}_${'b'.repeat(43)}`;

  it('reads an API key from Authorization: Bearer by its aos_ prefix', () => {
    expect(credentialFrom(new Headers({ authorization: `Bearer ${key}` }))).toEqual({
      kind: 'api_key',
      value: key,
    });
    expect(credentialFrom(new Headers({ authorization: `bearer   ${key}  ` }))).toEqual({
      kind: 'api_key',
      value: key,
    });
  });

  it('reads a token from Authorization: Bearer when it lacks the prefix', () => {
    expect(credentialFrom(new Headers({ authorization: 'Bearer eyJhbGciOi.x.y' }))).toEqual({
      kind: 'bearer',
      value: 'eyJhbGciOi.x.y',
    });
  });

  it('reads x-api-key', () => {
    expect(credentialFrom(new Headers({ 'x-api-key': key }))).toEqual({ kind: 'api_key', value: key });
    expect(credentialFrom(new Headers({ 'x-api-key': key, authorization: `Bearer ${key}` }))).toEqual({
      kind: 'api_key',
      value: key,
    });
  });

  it('finds nothing without a credential or with another scheme', () => {
    expect(credentialFrom(new Headers())).toBeUndefined();
    expect(credentialFrom(new Headers({ authorization: 'Basic dXNlcjpwYXNz' }))).toBeUndefined();
    expect(credentialFrom(new Headers({ authorization: 'Bearer' }))).toBeUndefined();
    expect(credentialFrom(new Headers({ 'x-api-key': '  ' }))).toBeUndefined();
  });

  it('refuses two different credentials with 400', () => {
    let error: unknown;
    try {
      credentialFrom(new Headers({ 'x-api-key': key, authorization: 'Bearer eyJ.x.y' }));
    } catch (e) {
      error = e;
    }
    expect((error as KernelError).status).toBe(400);
  });
});
