import { randomBytes } from 'node:crypto';
import { TableClient, TableServiceClient, odata } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import type { StoreFixture } from '../../../support/durable-store-contract';
import { durableStoreContract, events, instance, message } from '../../../support/durable-store-contract';
import {
  TableDurableStore,
  encodeKey,
  tableStoreNames,
} from '../../../../src/host/durable/stores/table-store';

/**
 * The Azure Table store against the run's Azurite: the shared DurableStore
 * contract (every reopen is a new store object, as after a killed host), plus
 * what only this layout can get wrong — row keys, blobs, leftovers of commits
 * cut short, and rows that are already gone.
 */

const connectionString = inject('azuriteConnectionString');

function uniqueTaskHub(): string {
  return `th${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
}

async function openStore(taskHub = uniqueTaskHub()): Promise<TableDurableStore> {
  const store = await TableDurableStore.create({ connectionString, taskHub });
  onTestFinished(() => store.deleteTaskHub());
  return store;
}

function table(name: string): TableClient {
  return TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
}

async function rowKeys(client: TableClient, partitionKey: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const row of client.listEntities({
    queryOptions: { filter: odata`PartitionKey eq ${partitionKey}` },
  })) {
    if (row.rowKey !== undefined) keys.push(row.rowKey);
  }
  return keys;
}

async function blobNames(container: string): Promise<string[]> {
  const client = BlobServiceClient.fromConnectionString(connectionString).getContainerClient(container);
  const names: string[] = [];
  for await (const blob of client.listBlobsFlat()) names.push(blob.name);
  return names;
}

durableStoreContract('TableDurableStore', async (): Promise<StoreFixture> => {
  const taskHub = uniqueTaskHub();
  const store = await openStore(taskHub);
  return { store, reopen: () => TableDurableStore.create({ connectionString, taskHub }) };
});

describe('TableDurableStore layout', () => {
  it('creates its tables and container from the task hub name, and rejects invalid names', async () => {
    const taskHub = uniqueTaskHub();
    const store = await openStore(taskHub);
    expect(store.kind).toBe('azure-table');
    const tables: string[] = [];
    const service = TableServiceClient.fromConnectionString(connectionString, {
      allowInsecureConnection: true,
    });
    for await (const t of service.listTables()) if (t.name) tables.push(t.name);
    expect(tables).toEqual(expect.arrayContaining([store.names.instancesTable, store.names.entitiesTable]));
    expect(await blobNames(store.names.container)).toEqual([]);

    // Opening again over existing tables is fine.
    await TableDurableStore.create({ connectionString, taskHub });

    expect(() => tableStoreNames('1hub')).toThrow(/invalid/);
    expect(() => tableStoreNames('my-hub')).toThrow(/invalid/);
    expect(() => tableStoreNames('ab')).toThrow(/invalid/);
    expect(tableStoreNames('MyHub')).toEqual({
      instancesTable: 'MyHubInstances',
      entitiesTable: 'MyHubEntities',
      container: 'myhub-largemessages',
    });
  });

  it('encodes ids into legal, distinct keys', () => {
    const ids = [
      'plain-id_1.x@y',
      'a/b',
      'a\\b',
      'a#b',
      'a?b',
      "a'b",
      'a\u0000b',
      'a\u007fb',
      '$002f',
      'a$002fb',
    ];
    const keys = ids.map(encodeKey);
    expect(keys[0]).toBe('plain-id_1.x@y');
    expect(new Set(keys).size).toBe(ids.length);
    const illegal = (key: string) =>
      [...key].some(
        (ch) =>
          "/\\#?'".includes(ch) ||
          ch.charCodeAt(0) < 0x20 ||
          (ch.charCodeAt(0) >= 0x7f && ch.charCodeAt(0) <= 0x9f),
      );
    expect(keys.filter(illegal)).toEqual([]);
    expect(encodeKey('x'.repeat(5000))).toMatch(/^\$hash[0-9a-f]{64}$/);
  });

  it('writes one instance partition per instance, history rows in sequence order', async () => {
    const store = await openStore();
    await store.load();
    await store.commit({
      putInstances: [instance('flow/1')],
      appendHistory: [{ instanceId: 'flow/1', events: events(12) }],
      addInbox: [message('m1', 'flow/1')],
    });
    const keys = await rowKeys(table(store.names.instancesTable), encodeKey('flow/1'));
    const history = keys.filter((k) => k.startsWith('history~'));
    expect(history).toHaveLength(12);
    expect(history[0]).toBe('history~0000000000~0000000000');
    expect(history[11]).toBe('history~0000000000~0000000011');
    expect(keys).toEqual(expect.arrayContaining(['meta', `inbox~${encodeKey('m1')}`]));
  });

  it('keeps large values in blobs and deletes the blobs it no longer needs', async () => {
    const store = await openStore();
    await store.load();
    const large = JSON.stringify('x'.repeat(200 * 1024));
    await store.commit({
      putInstances: [instance('big', { input: large })],
      appendHistory: [{ instanceId: 'big', events: events(2) }],
      putEntities: [
        { entityId: '@e@1', exists: true, state: large, lastModifiedTime: new Date(0).toISOString() },
      ],
    });
    expect(await blobNames(store.names.container)).toHaveLength(2);

    // An overwrite with another large value replaces the blob; a small one drops it.
    await store.commit({ putInstances: [instance('big', { input: large, output: '1' })] });
    expect(await blobNames(store.names.container)).toHaveLength(2);
    await store.commit({
      putEntities: [
        { entityId: '@e@1', exists: true, state: '1', lastModifiedTime: new Date(0).toISOString() },
      ],
    });
    expect(await blobNames(store.names.container)).toHaveLength(1);
    await store.commit({ purge: ['big'] });
    expect(await blobNames(store.names.container)).toEqual([]);
  });

  it('ignores history rows that no meta row counts (a commit cut short)', async () => {
    const taskHub = uniqueTaskHub();
    const store = await openStore(taskHub);
    await store.load();
    await store.commit({
      putInstances: [instance('cut')],
      appendHistory: [{ instanceId: 'cut', events: events(3) }],
    });
    // As if a crash hit between a history chunk and the meta row, twice: past the end, and a new generation.
    const instances = table(store.names.instancesTable);
    const pk = encodeKey('cut');
    for (const rowKey of ['history~0000000000~0000000003', 'history~0000000001~0000000000']) {
      await instances.createEntity({
        partitionKey: pk,
        rowKey,
        Data: JSON.stringify(events(1, 99)[0]),
        DataBlob: '',
      });
    }
    // And an orphan history for an instance whose first commit never reached its meta row.
    await instances.createEntity({
      partitionKey: encodeKey('ghost'),
      rowKey: 'history~0000000000~0000000000',
      Data: JSON.stringify(events(1)[0]),
      DataBlob: '',
    });

    const reopened = await TableDurableStore.create({ connectionString, taskHub });
    const state = await reopened.load();
    expect(state.histories.get('cut')).toEqual(events(3));
    expect(state.histories.has('ghost')).toBe(false);

    // Appending overwrites the leftover; a reset writes over the stray generation.
    await reopened.commit({ appendHistory: [{ instanceId: 'cut', events: events(2, 3) }] });
    expect((await reopened.load()).histories.get('cut')).toEqual(events(5));
    await reopened.commit({ appendHistory: [{ instanceId: 'cut', reset: true, events: events(1, 50) }] });
    const final = await (await TableDurableStore.create({ connectionString, taskHub })).load();
    expect(final.histories.get('cut')).toEqual(events(1, 50));
    expect((await rowKeys(instances, pk)).filter((k) => k.startsWith('history~0000000000~'))).toEqual([]);
  });

  it('commits when a row it removes is already gone', async () => {
    const store = await openStore();
    await store.load();
    await store.commit({ putInstances: [instance('a')], addInbox: [message('m1', 'a'), message('m2', 'a')] });
    await table(store.names.instancesTable).deleteEntity(encodeKey('a'), `inbox~${encodeKey('m1')}`);

    await store.commit({
      putInstances: [instance('a', { runtimeStatus: 'Completed' })],
      appendHistory: [{ instanceId: 'a', events: events(2) }],
      removeInbox: ['m1', 'm2'],
    });
    const state = await store.load();
    expect(state.inbox).toEqual([]);
    expect(state.instances).toEqual([instance('a', { runtimeStatus: 'Completed' })]);
    expect(state.histories.get('a')).toEqual(events(2));
  });

  it('recovers from a commit that failed half way when the change is committed again', async () => {
    const taskHub = uniqueTaskHub();
    const clients: TableClient[] = [];
    const store = await TableDurableStore.open({
      taskHub,
      tableClient: (name) => {
        const client = table(name);
        clients.push(client);
        return client;
      },
      blobContainer: BlobServiceClient.fromConnectionString(connectionString).getContainerClient(
        tableStoreNames(taskHub).container,
      ),
    });
    onTestFinished(() => store.deleteTaskHub());
    await store.load();
    await store.commit({
      putInstances: [instance('f')],
      appendHistory: [{ instanceId: 'f', events: events(3) }],
      addInbox: [message('m1', 'f')],
    });

    // The second transaction of the next commit fails: its first 100 history rows land, the meta row does not.
    const instances = clients.find((c) => c.tableName === store.names.instancesTable)!;
    const submit = instances.submitTransaction.bind(instances);
    let calls = 0;
    instances.submitTransaction = async (actions, options) => {
      calls += 1;
      if (calls === 2) throw Object.assign(new Error('injected outage'), { statusCode: 503 });
      return submit(actions, options);
    };
    const change = {
      putInstances: [instance('f', { runtimeStatus: 'Completed' as const })],
      appendHistory: [{ instanceId: 'f', events: events(150, 3) }],
      removeInbox: ['m1'],
    };
    await expect(store.commit(change)).rejects.toThrow('injected outage');
    const between = await (await TableDurableStore.create({ connectionString, taskHub })).load();
    expect(between.histories.get('f')).toEqual(events(3));
    expect(between.inbox.map((m) => m.id)).toEqual(['m1']);

    await store.commit(change);
    const state = await (await TableDurableStore.create({ connectionString, taskHub })).load();
    expect(state.histories.get('f')).toEqual(events(153));
    expect(state.instances).toEqual([instance('f', { runtimeStatus: 'Completed' })]);
    expect(state.inbox).toEqual([]);
  });

  it('commits without an explicit load, continuing what is stored', async () => {
    const taskHub = uniqueTaskHub();
    const store = await openStore(taskHub);
    await store.commit({
      putInstances: [instance('a')],
      appendHistory: [{ instanceId: 'a', events: events(2) }],
      addInbox: [message('m1', 'a')],
    });
    const second = await TableDurableStore.create({ connectionString, taskHub });
    await second.commit({ appendHistory: [{ instanceId: 'a', events: events(1, 2) }], removeInbox: ['m1'] });
    const state = await (await TableDurableStore.create({ connectionString, taskHub })).load();
    expect(state.histories.get('a')).toEqual(events(3));
    expect(state.inbox).toEqual([]);
  });
});
