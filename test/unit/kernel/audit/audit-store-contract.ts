import { describe, expect, it } from 'vitest';
import type { AuditEntry, AuditEvent, AuditStore } from '../../../../src/kernel/audit';
import {
  AuditTrail,
  genesisHash,
  maxAuditBatch,
  sealEntries,
  sealEntry,
  verifyChain,
} from '../../../../src/kernel/audit';
import { principal } from '../auth/access/principals';

/**
 * What every AuditStore must do, run against each implementation (memory here,
 * Azure Tables against Azurite in test/integration/adapters).
 */

export function auditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    event_type: 'auth.failed',
    subject_id: 'unknown',
    subject_type: 'token',
    action: 'authenticate',
    severity: 'warning',
    target: 'orchestrations_list',
    context: { reason: 'expired', nested: { list: [1, 'two', null, true] }, unicode: 'Zürich — ✓' },
    app_id: null,
    ...overrides,
  };
}

let ids = 0;
const newId = () => `entry-${(ids += 1)}`;

/** Appends one event at a given instant on whatever head the store has. */
async function appendAt(store: AuditStore, event: AuditEvent, timestamp: string): Promise<AuditEntry> {
  const id = newId();
  const [entry] = await store.append((head) => [sealEntry(event, head, { id, timestamp })]);
  if (entry === undefined) throw new Error('append returned no entry');
  return entry;
}

export function auditStoreContract(name: string, open: () => Promise<AuditStore>): void {
  describe(`${name} (AuditStore contract)`, () => {
    it('starts empty, then appends entries linked from the genesis hash', async () => {
      const store = await open();
      expect(await store.head()).toBeNull();
      expect(await store.query({ limit: 10 })).toEqual([]);
      const first = await appendAt(store, auditEvent(), '2026-01-01T00:00:00.000Z');
      const second = await appendAt(store, auditEvent({ target: null }), '2026-01-01T00:00:01.000Z');
      expect(first.sequence).toBe(1);
      expect(first.previous_hash).toBe(genesisHash);
      expect(second.sequence).toBe(2);
      expect(second.previous_hash).toBe(first.hash);
      expect(await store.head()).toEqual({ sequence: 2, hash: second.hash });
      // Stored exactly: what comes back re-hashes to the same chain.
      const stored = await store.range(1, 2);
      expect(stored).toEqual([first, second]);
      expect(verifyChain(stored, { head: await store.head() }).valid).toBe(true);
    });

    it('answers queries newest first, with every filter applied and the limit kept', async () => {
      const store = await open();
      const at = (second: number) => `2026-02-01T00:00:${String(second).padStart(2, '0')}.000Z`;
      await appendAt(store, auditEvent({ subject_id: 'a', app_id: 'app-1' }), at(1));
      await appendAt(store, auditEvent({ subject_id: 'b', event_type: 'auth.denied' }), at(2));
      await appendAt(store, auditEvent({ subject_id: 'a', app_id: 'app-2' }), at(3));
      await appendAt(store, auditEvent({ subject_id: 'a', app_id: 'app-1' }), at(4));

      const sequences = (entries: AuditEntry[]) => entries.map((entry) => entry.sequence);
      expect(sequences(await store.query({ limit: 10 }))).toEqual([4, 3, 2, 1]);
      expect(sequences(await store.query({ limit: 2 }))).toEqual([4, 3]);
      expect(sequences(await store.query({ limit: 10, subject_id: 'a' }))).toEqual([4, 3, 1]);
      expect(sequences(await store.query({ limit: 10, event_type: 'auth.denied' }))).toEqual([2]);
      expect(sequences(await store.query({ limit: 10, app_id: 'app-1' }))).toEqual([4, 1]);
      expect(sequences(await store.query({ limit: 10, start_time: at(2), end_time: at(3) }))).toEqual([3, 2]);
      expect(sequences(await store.query({ limit: 10, start_time: at(5) }))).toEqual([]);
      expect(
        sequences(await store.query({ limit: 1, subject_id: 'a', app_id: 'app-1', end_time: at(3) })),
      ).toEqual([1]);
    });

    it('returns ranges in ascending order, clipped to what exists', async () => {
      const store = await open();
      for (let second = 0; second < 5; second += 1) {
        await appendAt(store, auditEvent(), `2026-03-01T00:00:0${second}.000Z`);
      }
      expect((await store.range(2, 4)).map((entry) => entry.sequence)).toEqual([2, 3, 4]);
      expect((await store.range(4, 99)).map((entry) => entry.sequence)).toEqual([4, 5]);
      expect(await store.range(6, 9)).toEqual([]);
      expect(await store.range(3, 2)).toEqual([]);
    });

    it('appends a batch of up to 99 entries in one go, and refuses a bigger one whole', async () => {
      const store = await open();
      await appendAt(store, auditEvent(), '2026-04-01T00:00:00.000Z');
      const batch = await store.append((head) =>
        sealEntries(
          Array.from({ length: maxAuditBatch }, (_, index) => ({
            event: auditEvent({ subject_id: `b-${index}` }),
            id: newId(),
            timestamp: '2026-04-01T00:00:01.000Z',
          })),
          head,
        ),
      );
      expect(batch.map((entry) => entry.sequence)).toEqual(Array.from({ length: 99 }, (_, i) => i + 2));
      const head = await store.head();
      expect(head).toEqual({ sequence: 100, hash: batch.at(-1)?.hash });
      await expect(
        store.append((current) =>
          sealEntries(
            Array.from({ length: maxAuditBatch + 1 }, () => ({
              event: auditEvent(),
              id: newId(),
              timestamp: '2026-04-01T00:00:02.000Z',
            })),
            current,
          ),
        ),
      ).rejects.toThrow(/1 to 99 entries/);
      expect(await store.head()).toEqual(head);
      const all = await store.range(1, 200);
      expect(all).toHaveLength(100);
      expect(verifyChain(all, { head })).toMatchObject({ valid: true, checked: 100 });
    });

    it('keeps one unbroken chain when appends race (each re-sealed on the head it lost to)', async () => {
      const store = await open();
      // Two trails on one store: appends within a trail queue, across trails they race.
      const trails = [0, 1].map(() => new AuditTrail({ store, newId }));
      await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (trails[index % 2] as AuditTrail).record(auditEvent({ subject_id: `s-${index}` })),
        ),
      );
      const head = await store.head();
      expect(head?.sequence).toBe(20);
      const entries = await store.range(1, 20);
      expect(entries.map((entry) => entry.sequence)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect(new Set(entries.map((entry) => entry.subject_id)).size).toBe(20);
      expect(verifyChain(entries, { head })).toMatchObject({ valid: true, checked: 20 });
      const admin = principal({ roles: ['auditor'] });
      expect(await trails[0]?.verify({}, admin)).toMatchObject({ valid: true, checked: 20 });
    });
  });
}
