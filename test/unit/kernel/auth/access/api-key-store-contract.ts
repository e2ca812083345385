import { describe, expect, it } from 'vitest';
import type { ApiKeyStore, StoredApiKey } from '../../../../../src/kernel/auth/access';
import { ApiKeyService } from '../../../../../src/kernel/auth/access';
import { KernelError } from '../../../../../src/kernel/errors';
import { principal } from './principals';

/**
 * What every ApiKeyStore must do, run against each implementation (memory in the
 * unit tests, Azure Tables against Azurite in the integration tests). `raw` is
 * everything the store holds, serialised, as an attacker reading storage would see it.
 */
export interface OpenedApiKeyStore {
  readonly store: ApiKeyStore;
  readonly raw: () => Promise<string>;
}

let counter = 0;

export function storedKey(overrides: Partial<StoredApiKey> = {}): StoredApiKey {
  counter += 1;
  return {
    key_id: `00000000000000000${String(counter).padStart(3, '0')}`,
    name: 'CI deploy — ✓',
    roles: ['app', 'reader'],
    app_id: 'app-a',
    created_at: '2026-01-01T00:00:00.000Z',
    created_by: 'p-admin',
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    hash_algorithm: 'hmac-sha256',
    salt: 'c2FsdHNhbHRzYWx0c2FsdA',
    secret_hash: 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g',
    ...overrides,
  };
}

export function apiKeyStoreContract(name: string, open: () => Promise<OpenedApiKeyStore>): void {
  describe(`${name} (ApiKeyStore contract)`, () => {
    it('returns what was inserted, and undefined for unknown ids', async () => {
      const { store } = await open();
      const key = storedKey({ expires_at: '2027-01-01T00:00:00.000Z' });
      await store.insert(key);
      expect(await store.get(key.key_id)).toEqual(key);
      expect(await store.get('ffffffffffffffffffff')).toBeUndefined();
      expect(await store.get('not/a#key')).toBeUndefined();
    });

    it('refuses a second key with the same id as a conflict', async () => {
      const { store } = await open();
      const key = storedKey();
      await store.insert(key);
      await expect(store.insert({ ...key, name: 'other' })).rejects.toMatchObject({ code: 'conflict' });
      expect((await store.get(key.key_id))?.name).toBe(key.name);
    });

    it("lists all keys, one app's, or the kernel-wide ones", async () => {
      const { store } = await open();
      const a = storedKey({ app_id: 'app-a' });
      const b = storedKey({ app_id: 'app-b' });
      const kernel = storedKey({ app_id: null, roles: ['admin'] });
      for (const key of [a, b, kernel]) await store.insert(key);
      const ids = (keys: StoredApiKey[]) => keys.map((key) => key.key_id).sort();
      expect(ids(await store.list())).toEqual(ids([a, b, kernel]));
      expect(ids(await store.list({ app_id: 'app-a' }))).toEqual([a.key_id]);
      expect(await store.list({ app_id: null })).toEqual([kernel]);
    });

    it('marks revoked and used one field at a time, so neither undoes the other', async () => {
      const { store } = await open();
      const key = storedKey();
      await store.insert(key);
      expect(await store.markRevoked(key.key_id, '2026-02-01T00:00:00.000Z')).toBe(true);
      await store.markUsed(key.key_id, '2026-02-02T00:00:00.000Z');
      expect(await store.get(key.key_id)).toEqual({
        ...key,
        revoked_at: '2026-02-01T00:00:00.000Z',
        last_used_at: '2026-02-02T00:00:00.000Z',
      });
    });

    it('creates nothing when marking a key that is not there', async () => {
      const { store } = await open();
      expect(await store.markRevoked('eeeeeeeeeeeeeeeeeeee', '2026-02-01T00:00:00.000Z')).toBe(false);
      await store.markUsed('eeeeeeeeeeeeeeeeeeee', '2026-02-01T00:00:00.000Z');
      expect(await store.get('eeeeeeeeeeeeeeeeeeee')).toBeUndefined();
      expect(await store.list()).toEqual([]);
    });

    it('holds no secret: only what the service stores, which is a salted hash', async () => {
      const { store, raw } = await open();
      const service = new ApiKeyService({ store });
      const admin = principal({ id: 'p-admin', roles: ['admin'] });
      const created = await service.create({ name: 'ci', roles: ['reader'], app_id: null }, admin);
      const randomPart = created.secret.slice(`aos_${created.key_id}_`.length);
      const held = await raw();
      expect(held).toContain(created.key_id);
      expect(held).not.toContain(created.secret);
      expect(held).not.toContain(randomPart);
      // And the store's copy still authenticates the key.
      expect((await service.authenticate(created.secret)).id).toBe(`key:${created.key_id}`);
      const last = created.secret.endsWith('A') ? 'B' : 'A';
      await expect(service.authenticate(`${created.secret.slice(0, -1)}${last}`)).rejects.toBeInstanceOf(
        KernelError,
      );
    });
  });
}
