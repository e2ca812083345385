import type { Principal } from '../auth/access';
import { authorize, isKernelWide } from '../auth/access';
import { KernelError } from '../errors';
import type { ChainVerification } from './chain';
import { ChainVerifier, sealEntries } from './chain';
import type { AuditSink } from '../executor';
import { agentCallEvent } from './events';
import type { AuditStore } from './ports';
import { maxAuditBatch } from './ports';
import { redactContext } from './redact';
import type { AuditEntry, AuditEvent, AuditTrailQuery, AuditVerifyQuery, ChainHead } from './types';

/**
 * The tamper-evident audit trail: records events as hash-chained entries and
 * answers queries and verification for auditors.
 *
 * Writes are group-committed: events recorded while an append is in flight wait
 * in a queue and go out together in the next append (up to `maxAuditBatch` per
 * append, one storage transaction), so appends from one process never race each
 * other for the head and a burst costs a few round trips, not one per event.
 * Appends from other processes are resolved by the store (compare-and-swap on the
 * head, then a retry that re-seals on the new head).
 *
 * The queue is bounded. Past `maxPending` waiting events, `recordQuietly` stops
 * queueing and counts what it turns away by event type; once the queue has
 * drained, one `audit.suppressed` entry records those counts and the period. A
 * flood of refused requests therefore costs bounded memory and still leaves its
 * trace, instead of holding every request open behind storage.
 */

export interface AuditTrailOptions {
  readonly store: AuditStore;
  readonly now?: () => Date;
  readonly newId: () => string;
  /** Where `recordQuietly` reports a failed write (the event's type only; no context). */
  readonly onError?: (error: unknown, event: Pick<AuditEvent, 'event_type' | 'subject_id'>) => void;
  /** Entries read per slice when verifying (default 500). */
  readonly verifySliceSize?: number;
  /** Events that may wait for storage before `recordQuietly` summarises instead (default 5,000). */
  readonly maxPending?: number;
}

interface Pending {
  readonly event: AuditEvent;
  readonly id: string;
  readonly timestamp: string;
  readonly resolve: (entry: AuditEntry) => void;
  readonly reject: (error: unknown) => void;
}

interface Suppressed {
  readonly counts: Map<string, number>;
  readonly first_at: string;
  last_at: string;
}

export const suppressedEventType = 'audit.suppressed';

export class AuditTrail {
  private readonly store: AuditStore;
  private readonly now: () => Date;
  private readonly maxPending: number;
  private queue: Pending[] = [];
  private draining = false;
  private suppressed: Suppressed | undefined;

  constructor(private readonly options: AuditTrailOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.maxPending = Math.max(1, options.maxPending ?? 5000);
  }

  /** Events waiting for storage (not yet in an append that succeeded or failed). */
  get pending(): number {
    return this.queue.length;
  }

  /** Appends an event; resolves with the sealed entry, rejects when the store does. */
  record(event: AuditEvent): Promise<AuditEntry> {
    const clean: AuditEvent = { ...event, context: redactContext(event.context) };
    return new Promise<AuditEntry>((resolve, reject) => {
      // Id and time are fixed now: a retried append re-seals the same entry on a new head.
      this.queue.push({
        event: clean,
        id: this.options.newId(),
        timestamp: this.now().toISOString(),
        resolve,
        reject,
      });
      this.drain();
    });
  }

  /**
   * Appends without failing the caller: for events recorded on the way to another
   * answer (a 401, a step result), where a storage hiccup must not change that
   * answer. Failures go to `onError`. When the queue is full, the event is counted
   * into the next `audit.suppressed` entry instead of waiting.
   */
  async recordQuietly(event: AuditEvent): Promise<void> {
    if (this.queue.length >= this.maxPending) {
      this.suppress(event.event_type);
      return;
    }
    try {
      await this.record(event);
    } catch (error) {
      try {
        this.options.onError?.(error, { event_type: event.event_type, subject_id: event.subject_id });
      } catch {
        // Reporting must not throw either.
      }
    }
  }

  private suppress(eventType: string): void {
    const at = this.now().toISOString();
    this.suppressed ??= { counts: new Map(), first_at: at, last_at: at };
    this.suppressed.counts.set(eventType, (this.suppressed.counts.get(eventType) ?? 0) + 1);
    this.suppressed.last_at = at;
  }

  /** Sends queued events in batches until the queue is empty; one drain at a time. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        for (;;) {
          if (this.queue.length === 0 && this.suppressed !== undefined) this.queueSummary();
          const batch = this.queue.splice(0, maxAuditBatch);
          if (batch.length === 0) return;
          try {
            const entries = await this.store.append((head) => sealEntries(batch, head));
            batch.forEach((pending, index) => pending.resolve(entries[index] as AuditEntry));
          } catch (error) {
            for (const pending of batch) pending.reject(error);
          }
        }
      } finally {
        this.draining = false;
      }
    })();
  }

  private queueSummary(): void {
    const summary = this.suppressed;
    if (summary === undefined) return;
    this.suppressed = undefined;
    const total = [...summary.counts.values()].reduce((sum, count) => sum + count, 0);
    this.record({
      event_type: suppressedEventType,
      subject_id: 'audit',
      subject_type: 'kernel',
      action: 'suppress',
      severity: 'warning',
      target: null,
      context: {
        reason: 'backlog_full',
        total,
        counts: Object.fromEntries([...summary.counts].sort(([a], [b]) => a.localeCompare(b))),
        first_at: summary.first_at,
        last_at: summary.last_at,
      },
      app_id: null,
    }).catch((error: unknown) => {
      try {
        this.options.onError?.(error, { event_type: suppressedEventType, subject_id: 'audit' });
      } catch {
        // Reporting must not throw either.
      }
    });
  }

  /** The executor's audit port, writing each agent call to this trail. */
  executorSink(): AuditSink {
    return { write: async (record) => void (await this.record(agentCallEvent(record))) };
  }

  /** Entries the viewer may read, newest first: an app-bound viewer sees only its app's. */
  async query(query: AuditTrailQuery, viewer: Principal): Promise<AuditEntry[]> {
    authorize(viewer, 'audit:read');
    return this.store.query({
      ...query,
      ...(viewer.app_id === null ? {} : { app_id: viewer.app_id }),
    });
  }

  /**
   * Re-computes every hash and link in the range (default: the whole trail) and,
   * when the range reaches the newest entry, checks it against the stored head.
   * The chain spans all apps, so only kernel-wide auditors may verify it.
   */
  async verify(query: AuditVerifyQuery, viewer: Principal): Promise<ChainVerification> {
    authorize(viewer, 'audit:read');
    if (!isKernelWide(viewer)) {
      throw new KernelError('forbidden', 'Forbidden', {
        detail: 'Verifying the audit chain needs a kernel-wide principal (one not bound to an app).',
      });
    }
    const head = await this.store.head();
    const last = head?.sequence ?? 0;
    const from = query.from_sequence ?? 1;
    const to = Math.min(query.to_sequence ?? last, last);
    if (from > to) return { valid: true, checked: 0, first_sequence: null, last_sequence: null };
    let before: ChainHead | null = null;
    if (from > 1) {
      const [previous] = await this.store.range(from - 1, from - 1);
      if (previous === undefined) {
        return {
          valid: false,
          checked: 0,
          first_sequence: null,
          last_sequence: null,
          broken: { sequence: from - 1, reason: 'sequence_gap' },
        };
      }
      before = { sequence: previous.sequence, hash: previous.hash };
    }
    const verifier = new ChainVerifier(before);
    const slice = Math.max(1, this.options.verifySliceSize ?? 500);
    for (let start = from; start <= to && verifier.ok; start += slice) {
      verifier.feed(await this.store.range(start, Math.min(to, start + slice - 1)));
    }
    // Up to the head, the head itself is checked; short of it, the range's end.
    return verifier.finish(to === last ? head : { through: to });
  }
}
