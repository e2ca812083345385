import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { TableAuditStore, auditRowKey } from '../../../src/adapters/azure/audit-store';
import { AuditTrail } from '../../../src/kernel/audit';
import { parseStorageConnection } from '../../../src/kernel/config';
import { auditEvent, auditStoreContract } from '../../unit/kernel/audit/audit-store-contract';
import { principal } from '../../unit/kernel/auth/access/principals';

/**
 * The Azure Table audit store against the run's Azurite: the shared contract
 * (including racing appends, which here really conflict on the head's ETag), plus
 * tampering with stored rows and several processes' worth of stores on one table.
 */

const connection = parseStorageConnection('AzureWebJobsStorage', {
  AzureWebJobsStorage: inject('azuriteConnectionString'),
});

function uniquePrefix(): string {
  return `a${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

async function openStore(tablePrefix = uniquePrefix()): Promise<TableAuditStore> {
  const store = await TableAuditStore.create({ connection, tablePrefix });
  onTestFinished(() => store.deleteTable());
  return store;
}

auditStoreContract('TableAuditStore', () => openStore());

let ids = 0;
const newId = () => `t-${(ids += 1)}`;
const auditor = principal({ id: 'p-auditor', roles: ['auditor'] });

describe('TableAuditStore', () => {
  it('names its table audit behind the prefix and orders rows newest first', async () => {
    const prefix = uniquePrefix();
    const store = await openStore(prefix);
    expect(store.tableName).toBe(`${prefix}audit`);
    expect(auditRowKey(1) > auditRowKey(2)).toBe(true);
    expect(auditRowKey(1) < '~head').toBe(true);
  });

  it('reads the head once, then appends on the ETag it got back', async () => {
    const store = await openStore();
    const trail = new AuditTrail({ store, newId });
    for (let index = 0; index < 10; index += 1) await trail.record(auditEvent());
    expect(store.headReads).toBe(1);
    // Another writer moves the head: one failed attempt, one read, then on again.
    const other = await TableAuditStore.create({ connection, tableName: store.tableName });
    await new AuditTrail({ store: other, newId }).record(auditEvent());
    await trail.record(auditEvent());
    expect(store.headReads).toBe(2);
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 12 });
  });

  it('treats a conflict on its own committed transaction as success, not as a reason to append again', async () => {
    const store = await openStore();
    const trail = new AuditTrail({ store, newId });
    await trail.record(auditEvent());
    // The SDK retries a transaction whose answer was lost; the retry conflicts with the commit itself.
    const submit = store.client.submitTransaction.bind(store.client);
    let replayed = false;
    store.client.submitTransaction = async (actions) => {
      const response = await submit(actions);
      if (!replayed) {
        replayed = true;
        return submit(actions);
      }
      return response;
    };
    const entry = await trail.record(auditEvent({ subject_id: 'once' }));
    expect(entry.sequence).toBe(2);
    const all = await store.range(1, 10);
    expect(all.map((e) => e.subject_id).filter((id) => id === 'once')).toHaveLength(1);
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 2 });
  });

  it('does not append a committed batch again when another writer got in before the retry', async () => {
    const store = await openStore();
    const other = await TableAuditStore.create({ connection, tableName: store.tableName });
    const trail = new AuditTrail({ store, newId });
    const otherTrail = new AuditTrail({ store: other, newId });
    await trail.record(auditEvent());
    const submit = store.client.submitTransaction.bind(store.client);
    let replayed = false;
    store.client.submitTransaction = async (actions) => {
      const response = await submit(actions);
      if (!replayed) {
        replayed = true;
        // Committed, but the answer is lost; meanwhile another instance appends; then the retry.
        await otherTrail.record(auditEvent({ subject_id: 'other' }));
        return submit(actions);
      }
      return response;
    };
    const entry = await trail.record(auditEvent({ subject_id: 'once' }));
    expect(entry.sequence).toBe(2);
    const all = await store.range(1, 10);
    expect(all.map((e) => e.subject_id)).toEqual(['unknown', 'once', 'other']);
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 3 });
  });

  it('keeps one chain across stores that do not share memory (separate processes)', async () => {
    const prefix = uniquePrefix();
    const first = await openStore(prefix);
    const second = await TableAuditStore.create({ connection, tablePrefix: prefix });
    const third = await TableAuditStore.create({ connection, tablePrefix: prefix });
    const trails = [first, second, third].map((store) => new AuditTrail({ store, newId }));
    // Each store caches the head it last wrote; the others' appends make that cache stale.
    for (let round = 0; round < 4; round += 1) {
      await Promise.all(
        trails.map((trail, index) => trail.record(auditEvent({ subject_id: `${round}-${index}` }))),
      );
    }
    const verdict = await trails[2]?.verify({}, auditor);
    expect(verdict).toMatchObject({ valid: true, checked: 12, first_sequence: 1, last_sequence: 12 });
  });

  it('lets verification find an edited row, a deleted row and a deleted newest row', async () => {
    const store = await openStore();
    const trail = new AuditTrail({ store, newId });
    for (let index = 0; index < 6; index += 1) await trail.record(auditEvent({ subject_id: `s-${index}` }));
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 6 });

    // Someone with table access rewrites entry 3's subject.
    const row = await store.client.getEntity<{ Entry: string }>('audit', auditRowKey(3));
    const edited = { ...JSON.parse(row.Entry), subject_id: 'someone-else' };
    await store.client.updateEntity(
      { partitionKey: 'audit', rowKey: auditRowKey(3), Entry: JSON.stringify(edited) },
      'Merge',
    );
    expect(await trail.verify({}, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 3, reason: 'hash_mismatch' },
    });
    // A range that ends before the edit still verifies; one that starts after it links to it and fails.
    expect(await trail.verify({ to_sequence: 2 }, auditor)).toMatchObject({ valid: true, checked: 2 });
    await store.client.updateEntity(
      { partitionKey: 'audit', rowKey: auditRowKey(3), Entry: row.Entry },
      'Merge',
    );
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true });

    await store.client.deleteEntity('audit', auditRowKey(4));
    expect(await trail.verify({}, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 4, reason: 'sequence_gap' },
    });
    expect(await trail.verify({ from_sequence: 5 }, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 4, reason: 'sequence_gap' },
    });
    expect(await trail.verify({ from_sequence: 5, to_sequence: 6 }, auditor)).toMatchObject({ valid: false });

    const store2 = await openStore();
    const trail2 = new AuditTrail({ store: store2, newId });
    for (let index = 0; index < 3; index += 1) await trail2.record(auditEvent());
    await store2.client.deleteEntity('audit', auditRowKey(3));
    expect(await trail2.verify({}, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 3, reason: 'missing_entries' },
    });
  });

  it('refuses a row whose Entry is not an audit entry, rather than returning it', async () => {
    const store = await openStore();
    await new AuditTrail({ store, newId }).record(auditEvent());
    await store.client.updateEntity(
      { partitionKey: 'audit', rowKey: auditRowKey(1), Entry: '{"id":1}' },
      'Merge',
    );
    await expect(store.query({ limit: 5 })).rejects.toMatchObject({
      status: 500,
      message: 'Corrupt audit row',
    });
  });
});
