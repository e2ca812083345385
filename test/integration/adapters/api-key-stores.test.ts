import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { TableApiKeyStore } from '../../../src/adapters/azure/api-key-store';
import { ApiKeyService } from '../../../src/kernel/auth/access';
import { parseStorageConnection } from '../../../src/kernel/config';
import { apiKeyStoreContract, storedKey } from '../../unit/kernel/auth/access/api-key-store-contract';
import { principal } from '../../unit/kernel/auth/access/principals';

/**
 * The Azure Table API key store against the run's Azurite: the shared contract,
 * plus what only the table layout can get wrong. Every store gets its own table (a
 * unique prefix), dropped when its test ends.
 */

const connection = parseStorageConnection('AzureWebJobsStorage', {
  AzureWebJobsStorage: inject('azuriteConnectionString'),
});

function uniquePrefix(): string {
  return `k${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

async function openStore(tablePrefix = uniquePrefix()): Promise<TableApiKeyStore> {
  const store = await TableApiKeyStore.create({ connection, tablePrefix });
  onTestFinished(() => store.deleteTable());
  return store;
}

/** Every row of the table as the service returns it, all columns included. */
async function rawRows(store: TableApiKeyStore): Promise<string> {
  const rows: unknown[] = [];
  for await (const row of store.client.listEntities()) rows.push(row);
  return JSON.stringify(rows);
}

apiKeyStoreContract('TableApiKeyStore', async () => {
  const store = await openStore();
  return { store, raw: () => rawRows(store) };
});

describe('TableApiKeyStore', () => {
  it('names its table apikeys behind the prefix, and reopens an existing table', async () => {
    const prefix = uniquePrefix();
    const store = await openStore(prefix);
    expect(store.tableName).toBe(`${prefix}apikeys`);
    const key = storedKey({ app_id: null });
    await store.insert(key);
    const reopened = await TableApiKeyStore.create({ connection, tablePrefix: prefix });
    expect(await reopened.get(key.key_id)).toEqual(key);
  });

  it('authenticates, throttles last_used_at and honours revocation through the table', async () => {
    const store = await openStore();
    let now = new Date('2026-03-01T12:00:00.000Z');
    const service = new ApiKeyService({ store, now: () => now });
    const admin = principal({ id: 'p-admin', roles: ['admin'] });
    const created = await service.create({ name: 'ci', roles: ['operator'], app_id: 'app-a' }, admin);
    expect(await service.authenticate(created.secret)).toMatchObject({
      kind: 'key',
      roles: ['operator'],
      app_id: 'app-a',
    });
    now = new Date('2026-03-01T12:00:30.000Z');
    await service.authenticate(created.secret);
    expect((await store.get(created.key_id))?.last_used_at).toBe('2026-03-01T12:00:00.000Z');
    now = new Date('2026-03-01T12:01:30.000Z');
    await service.authenticate(created.secret);
    expect((await store.get(created.key_id))?.last_used_at).toBe('2026-03-01T12:01:30.000Z');

    await service.revoke(created.key_id, admin);
    await expect(service.authenticate(created.secret)).rejects.toMatchObject({ status: 401 });
    expect(await rawRows(store)).not.toContain(created.secret.slice(-43));
  });

  it('reports a row it cannot read as an internal error rather than guessing', async () => {
    const store = await openStore();
    await store.client.createEntity({ partitionKey: 'apikey', rowKey: 'abcdefabcdefabcdefab', Name: 'x' });
    await expect(store.get('abcdefabcdefabcdefab')).rejects.toMatchObject({ code: 'internal' });
  });
});
