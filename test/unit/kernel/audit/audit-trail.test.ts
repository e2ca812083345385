import { describe, expect, it, vi } from 'vitest';
import { MemoryAuditStore } from '../../../../src/adapters/memory';
import type { AuditEntry, AuditStore } from '../../../../src/kernel/audit';
import { AuditTrail, redacted, auditTrailQuerySchema } from '../../../../src/kernel/audit';
import { KernelError } from '../../../../src/kernel/errors';
import { principal } from '../auth/access/principals';
import { auditEvent } from './audit-store-contract';

let ids = 0;
function open(store: AuditStore = new MemoryAuditStore()) {
  let now = new Date('2026-05-01T10:00:00.000Z');
  const errors: unknown[] = [];
  const trail = new AuditTrail({
    store,
    newId: () => `e-${(ids += 1)}`,
    now: () => now,
    onError: (error, event) => errors.push({ error, event }),
  });
  return { trail, errors, tick: (ms: number) => (now = new Date(now.getTime() + ms)) };
}

const auditor = principal({ id: 'p-aud', roles: ['auditor'] });

describe('AuditTrail', () => {
  it('assigns id, time and chain fields, and redacts secret-looking context', async () => {
    const { trail } = open();
    const entry = await trail.record(
      auditEvent({
        context: {
          reason: 'expired',
          authorization: 'Bearer abc',
          nested: {
            api_key: 'aos_x_y',
            clientSecret: 's',
            fine: 'ok',
            deep: { deeper: { deepest: { x: 1 } } },
          },
          long: 'x'.repeat(2000),
        },
      }),
    );
    expect(entry).toMatchObject({ sequence: 1, timestamp: '2026-05-01T10:00:00.000Z' });
    expect(entry.id).toMatch(/^e-\d+$/);
    expect(entry.context).toMatchObject({
      reason: 'expired',
      authorization: redacted,
      nested: { api_key: redacted, clientSecret: redacted, fine: 'ok', deep: { deeper: { deepest: null } } },
    });
    expect((entry.context['long'] as string).length).toBeLessThan(600);
    expect(JSON.stringify(entry)).not.toContain('abc');
  });

  it('queues its own appends so concurrent records never collide', async () => {
    const { trail } = open();
    const entries = await Promise.all(Array.from({ length: 25 }, () => trail.record(auditEvent())));
    expect(entries.map((entry) => entry.sequence).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 25 }, (_, index) => index + 1),
    );
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 25 });
  });

  it('shows app-bound viewers only their app, kernel-wide viewers everything', async () => {
    const { trail, tick } = open();
    await trail.record(auditEvent({ app_id: 'app-a', subject_id: 'a' }));
    tick(1000);
    await trail.record(auditEvent({ app_id: 'app-b', subject_id: 'b' }));
    tick(1000);
    await trail.record(auditEvent({ app_id: null, subject_id: 'k' }));
    const query = auditTrailQuerySchema.parse({});
    const subjects = (entries: AuditEntry[]) => entries.map((entry) => entry.subject_id);
    expect(subjects(await trail.query(query, auditor))).toEqual(['k', 'b', 'a']);
    expect(subjects(await trail.query(query, principal({ roles: ['auditor'], app_id: 'app-a' })))).toEqual([
      'a',
    ]);
    const filtered = auditTrailQuerySchema.parse({ start_time: '2026-05-01T10:00:01Z' });
    expect(subjects(await trail.query(filtered, auditor))).toEqual(['k', 'b']);
  });

  it('needs audit:read to query or verify, and a kernel-wide principal to verify', async () => {
    const { trail } = open();
    const query = auditTrailQuerySchema.parse({});
    for (const roles of [['operator'], ['app'], ['reader'], ['approver'], ['agent']]) {
      await expect(trail.query(query, principal({ roles }))).rejects.toMatchObject({ status: 403 });
      await expect(trail.verify({}, principal({ roles }))).rejects.toMatchObject({ status: 403 });
    }
    await expect(trail.query(query, principal({ roles: ['admin'] }))).resolves.toEqual([]);
    const bound = trail.verify({}, principal({ roles: ['auditor'], app_id: 'app-a' }));
    await expect(bound).rejects.toBeInstanceOf(KernelError);
    await expect(bound).rejects.toMatchObject({ status: 403 });
  });

  it('verifies a range, reporting a missing predecessor and an edit inside', async () => {
    const store = new MemoryAuditStore();
    const { trail } = open(store);
    for (let index = 0; index < 7; index += 1) await trail.record(auditEvent());
    expect(await trail.verify({ from_sequence: 3, to_sequence: 5 }, auditor)).toEqual({
      valid: true,
      complete: true,
      checked: 3,
      first_sequence: 3,
      last_sequence: 5,
    });
    expect(await trail.verify({ from_sequence: 9 }, auditor)).toMatchObject({ valid: true, checked: 0 });
    store.entries[4] = { ...(store.entries[4] as AuditEntry), action: 'forged' };
    expect(await trail.verify({ from_sequence: 3 }, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 5, reason: 'hash_mismatch' },
    });
    store.entries.splice(1, 1);
    expect(await trail.verify({ from_sequence: 3, to_sequence: 4 }, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 2, reason: 'sequence_gap' },
    });
  });

  it('checks a bounded stretch per call: by default the newest entries and the head', async () => {
    const store = new MemoryAuditStore();
    const trail = new AuditTrail({ store, newId: () => `v-${(ids += 1)}`, maxVerifyEntries: 5 });
    for (let index = 0; index < 12; index += 1) await trail.record(auditEvent());
    // No range: the newest five, linked to the entry before them, and the head.
    expect(await trail.verify({}, auditor)).toEqual({
      valid: true,
      complete: true,
      checked: 5,
      first_sequence: 8,
      last_sequence: 12,
    });
    // From the start: one stretch at a time, never claiming more than it checked.
    expect(await trail.verify({ from_sequence: 1 }, auditor)).toEqual({
      valid: true,
      complete: false,
      checked: 5,
      first_sequence: 1,
      last_sequence: 5,
      next_from_sequence: 6,
    });
    expect(await trail.verify({ from_sequence: 6 }, auditor)).toMatchObject({
      complete: false,
      next_from_sequence: 11,
    });
    const end = await trail.verify({ from_sequence: 11 }, auditor);
    expect(end).toMatchObject({ valid: true, complete: true, checked: 2, last_sequence: 12 });
    expect(end.next_from_sequence).toBeUndefined();
    // The default window still sees the newest entry removed.
    store.entries.pop();
    expect(await trail.verify({}, auditor)).toMatchObject({
      valid: false,
      broken: { reason: 'missing_entries' },
    });
  });

  it('walks long trails in slices, and finds a gap at a slice boundary', async () => {
    const store = new MemoryAuditStore();
    const trail = new AuditTrail({ store, newId: () => `s-${(ids += 1)}`, verifySliceSize: 4 });
    for (let index = 0; index < 13; index += 1) await trail.record(auditEvent());
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 13 });
    store.entries.splice(7, 2); // sequences 8 and 9: the end of one slice and the start of the next
    expect(await trail.verify({}, auditor)).toMatchObject({
      valid: false,
      broken: { sequence: 8, reason: 'sequence_gap' },
    });
  });

  it('recordQuietly reports a failed write instead of throwing, and later records still land', async () => {
    const store = new MemoryAuditStore();
    let failing = true;
    const flaky: AuditStore = {
      append: (seal) => (failing ? Promise.reject(new Error('storage down')) : store.append(seal)),
      head: () => store.head(),
      query: (query) => store.query(query),
      range: (from, to) => store.range(from, to),
    };
    const { trail, errors } = open(flaky);
    await expect(trail.recordQuietly(auditEvent({ subject_id: 'lost' }))).resolves.toBeUndefined();
    expect(errors).toEqual([
      { error: new Error('storage down'), event: { event_type: 'auth.failed', subject_id: 'lost' } },
    ]);
    await expect(trail.record(auditEvent())).rejects.toThrow('storage down');
    failing = false;
    await expect(trail.record(auditEvent())).resolves.toMatchObject({ sequence: 1 });
  });
});

describe('AuditTrail batching and backpressure', () => {
  it('group-commits events recorded while an append is in flight', async () => {
    const store = new MemoryAuditStore();
    const { trail } = open(store);
    const entries = await Promise.all(
      Array.from({ length: 250 }, (_, index) => trail.record(auditEvent({ subject_id: `s-${index}` }))),
    );
    // In call order: the chain's order is the order events were recorded.
    expect(entries.map((entry) => entry.subject_id)).toEqual(
      Array.from({ length: 250 }, (_, index) => `s-${index}`),
    );
    expect(entries.map((entry) => entry.sequence)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    // One append for the first event, then full batches of 99: 1 + 99 + 99 + 51.
    expect(store.appends).toBe(4);
    expect(trail.pending).toBe(0);
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 250 });
  });

  it('rejects every event of a failed batch, and carries on with the next', async () => {
    const store = new MemoryAuditStore();
    let fail = 1;
    const flaky: AuditStore = {
      append: (seal) => (fail-- > 0 ? Promise.reject(new Error('transaction failed')) : store.append(seal)),
      head: () => store.head(),
      query: (query) => store.query(query),
      range: (from, to) => store.range(from, to),
    };
    const { trail } = open(flaky);
    const results = await Promise.allSettled([1, 2, 3].map(() => trail.record(auditEvent())));
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled', 'fulfilled']);
    expect(store.entries.map((entry) => entry.sequence)).toEqual([1, 2]);
  });

  function gated() {
    const store = new MemoryAuditStore();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slow: AuditStore = {
      append: async (seal) => {
        await gate;
        return store.append(seal);
      },
      head: () => store.head(),
      query: (query) => store.query(query),
      range: (from, to) => store.range(from, to),
    };
    return {
      store,
      slow,
      release: () => release(),
    };
  }

  it('summarises bulk events it turns away while the bulk queue is full, and says so once', async () => {
    const { store, slow, release } = gated();
    const reported: unknown[] = [];
    const trail = new AuditTrail({
      store: slow,
      newId: () => `q-${(ids += 1)}`,
      maxPending: 3,
      onError: (error, event) => reported.push([(error as Error).message, event.event_type]),
    });
    const writes: Promise<void>[] = [];
    for (let index = 0; index < 10; index += 1) {
      const event = auditEvent({ event_type: index % 2 ? 'auth.failed' : 'auth.malformed' });
      writes.push(trail.recordQuietly(event, { bulk: true }));
    }
    // One in flight, three queued; the other six returned at once.
    expect(trail.pending).toBe(3);
    expect(reported).toEqual([[expect.stringContaining('audit backlog full'), 'audit.suppressed']]);
    release();
    await Promise.all(writes);
    await vi.waitFor(() => expect(store.entries).toHaveLength(5));
    const summary = store.entries.find((entry) => entry.event_type === 'audit.suppressed');
    expect(summary).toMatchObject({
      severity: 'warning',
      context: { reason: 'backlog_full', total: 6, counts: { 'auth.malformed': 3, 'auth.failed': 3 } },
    });
    expect(await trail.verify({}, auditor)).toMatchObject({ valid: true, checked: 5 });
  });

  it('never suppresses other events, and sends them ahead of the bulk queue', async () => {
    const { store, slow, release } = gated();
    const trail = new AuditTrail({ store: slow, newId: () => `p-${(ids += 1)}`, maxPending: 2 });
    const writes: Promise<void>[] = [];
    for (let index = 0; index < 6; index += 1) {
      writes.push(trail.recordQuietly(auditEvent({ subject_id: `flood-${index}` }), { bulk: true }));
    }
    // A key change during the flood: queued whatever the bulk queue holds.
    writes.push(trail.recordQuietly(auditEvent({ event_type: 'auth.key.created', subject_id: 'insider' })));
    const agentCall = trail.record(auditEvent({ event_type: 'agent.call', subject_id: 'worker' }));
    release();
    await Promise.all([...writes, agentCall]);
    await vi.waitFor(() =>
      expect(store.entries.map((entry) => entry.event_type)).toContain('audit.suppressed'),
    );
    const order = store.entries.map((entry) => entry.subject_id);
    // flood-0 was already in flight; then the priority events, then the bulk queue.
    expect(order.slice(0, 5)).toEqual(['flood-0', 'insider', 'worker', 'flood-1', 'flood-2']);
    expect(store.entries.find((entry) => entry.event_type === 'audit.suppressed')?.context).toMatchObject({
      total: 3,
    });
  });

  it('keeps places for bulk events, so a steady stream of priority events cannot starve them', async () => {
    const { store, slow, release } = gated();
    const trail = new AuditTrail({ store: slow, newId: () => `r-${(ids += 1)}` });
    const writes: Promise<unknown>[] = [trail.record(auditEvent({ subject_id: 'first' }))];
    for (let index = 0; index < 200; index += 1)
      writes.push(trail.record(auditEvent({ subject_id: `p-${index}` })));
    writes.push(trail.recordQuietly(auditEvent({ subject_id: 'refused' }), { bulk: true }));
    release();
    await Promise.all(writes);
    const refused = store.entries.find((entry) => entry.subject_id === 'refused');
    // In the first batch after the one in flight, not behind all 200.
    expect(refused?.sequence).toBeLessThanOrEqual(1 + 99);
    expect(store.entries).toHaveLength(202);
  });

  it('writes the summary after summaryEveryMs even while the bulk queue is still full', async () => {
    const { store, slow, release } = gated();
    let now = Date.parse('2026-05-01T10:00:00.000Z');
    const trail = new AuditTrail({
      store: slow,
      newId: () => `s-${(ids += 1)}`,
      now: () => new Date(now),
      maxPending: 4,
      summaryEveryMs: 10_000,
    });
    // One in flight, four queued (more than half of maxPending), three suppressed.
    const writes = Array.from({ length: 8 }, (_, index) =>
      trail.recordQuietly(auditEvent({ subject_id: `f-${index}` }), { bulk: true }),
    );
    now += 10_000;
    release();
    await Promise.all(writes);
    await vi.waitFor(() => expect(store.entries).toHaveLength(6));
    // Due by time as soon as the append in flight returned: ahead of the four still queued.
    expect(store.entries.map((entry) => entry.event_type)[1]).toBe('audit.suppressed');
  });

  it('replaces a context too big for a table cell with a marker', async () => {
    const { trail } = open();
    const wide = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'x'.repeat(500)]));
    const entry = await trail.record(auditEvent({ context: wide }));
    expect(entry.context).toEqual({ truncated: true, original_chars: expect.any(Number) });
    expect(entry.context['original_chars']).toBeGreaterThan(16 * 1024);
  });
});

describe('auditTrailQuerySchema', () => {
  it('takes contract.md query parameters, normalises times and bounds the limit', () => {
    expect(auditTrailQuerySchema.parse({})).toEqual({ limit: 100 });
    expect(
      auditTrailQuerySchema.parse({
        start_time: '2026-01-01T01:00:00+01:00',
        limit: '5',
        event_type: 'auth.failed',
      }),
    ).toEqual({ start_time: '2026-01-01T00:00:00.000Z', limit: 5, event_type: 'auth.failed' });
    // Without an offset a time is UTC, whatever the server's time zone.
    expect(auditTrailQuerySchema.parse({ end_time: '2026-01-01T00:00:00.123456' }).end_time).toBe(
      '2026-01-01T00:00:00.123Z',
    );
    expect(auditTrailQuerySchema.parse({ end_time: '2026-01-01T00:00' }).end_time).toBe(
      '2026-01-01T00:00:00.000Z',
    );
    for (const bad of [
      { limit: '0' },
      { limit: '1001' },
      { limit: 'x' },
      { start_time: 'yesterday' },
      { start_time: '2026-01-01' },
      { start_time: '2026-13-01T00:00:00Z' },
      { start_time: '2026-02-01T00:00:00Z', end_time: '2026-01-01T00:00:00Z' },
      { unknown: '1' },
    ]) {
      expect(auditTrailQuerySchema.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
  });
});

describe('AuditTrail.checkpoint', () => {
  it('verifies since the last checkpoint and records the head and the verdict', async () => {
    const store = new MemoryAuditStore();
    const trail = new AuditTrail({ store, newId: () => `c-${(ids += 1)}`, maxVerifyEntries: 4 });
    for (let index = 0; index < 6; index += 1) await trail.record(auditEvent());
    const first = await trail.checkpoint();
    expect(first).toMatchObject({
      head_sequence: 6,
      valid: true,
      complete: true,
      verified_to: 6,
      resume_from: 6,
    });
    expect(first.head_hash).toBe(store.entries[5]?.hash);
    expect(store.entries.at(-1)).toMatchObject({
      event_type: 'audit.checkpoint',
      severity: 'info',
      context: { head_sequence: 6, head_hash: first.head_hash, valid: true },
    });
    // Next time: from where the last one stopped (its head), through the checkpoint entry itself.
    for (let index = 0; index < 2; index += 1) await trail.record(auditEvent());
    const second = await trail.checkpoint();
    expect(second).toMatchObject({ verified_from: 6, verified_to: 9, head_sequence: 9, valid: true });
  });

  it('resumes a stretch cut short, and records a broken chain as critical', async () => {
    const store = new MemoryAuditStore();
    const trail = new AuditTrail({ store, newId: () => `c-${(ids += 1)}`, maxVerifyEntries: 4 });
    await trail.record(auditEvent());
    await trail.checkpoint(); // head 1, resume from 1
    for (let index = 0; index < 8; index += 1) await trail.record(auditEvent());
    const cut = await trail.checkpoint();
    expect(cut).toMatchObject({ verified_from: 1, verified_to: 4, complete: false, resume_from: 5 });
    store.entries[5] = { ...(store.entries[5] as AuditEntry), subject_id: 'edited' };
    const broken = await trail.checkpoint();
    expect(broken).toMatchObject({ valid: false, broken: { sequence: 6, reason: 'hash_mismatch' } });
    expect(store.entries.at(-1)).toMatchObject({ event_type: 'audit.checkpoint', severity: 'critical' });
  });
});
