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
 * Two queues: events about unverified callers (refused credentials, which anyone
 * can produce in any number) are `bulk`; everything else (key changes, 403s of
 * known principals, agent calls) goes first and is never suppressed. The bulk
 * queue is bounded: past `maxPending` waiting events, `recordQuietly` counts what
 * it turns away by event type, logs once through `onError`, and writes one
 * `audit.suppressed` entry with the counts when the bulk queue is half empty
 * again or `summaryEveryMs` has passed. A flood of bad credentials thus costs
 * bounded memory, cannot push a key change or an agent call out of the trail,
 * and still leaves its trace.
 */

export interface AuditTrailOptions {
  readonly store: AuditStore;
  readonly now?: () => Date;
  readonly newId: () => string;
  /** Where `recordQuietly` reports a failed write (the event's type only; no context). */
  readonly onError?: (error: unknown, event: Pick<AuditEvent, 'event_type' | 'subject_id'>) => void;
  /** Entries read per slice when verifying (default 500). */
  readonly verifySliceSize?: number;
  /** Bulk events that may wait for storage before `recordQuietly` summarises them (default 5,000). */
  readonly maxPending?: number;
  /** Most entries one verify call checks (default 20,000); the answer carries next_from_sequence. */
  readonly maxVerifyEntries?: number;
  /** Longest time suppressed counts wait for their summary entry, in ms (default 60,000). */
  readonly summaryEveryMs?: number;
}

export interface RecordOptions {
  /** An event about an unverified caller: sent after other events, and summarised when the queue is full. */
  readonly bulk?: boolean;
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
export const checkpointEventType = 'audit.checkpoint';

/** What a checkpoint found and recorded. */
export interface AuditCheckpoint {
  readonly head_sequence: number;
  readonly head_hash: string | null;
  readonly verified_from: number | null;
  readonly verified_to: number | null;
  readonly valid: boolean;
  readonly complete: boolean;
  /** Where the next checkpoint starts verifying. */
  readonly resume_from: number;
  readonly broken?: { readonly sequence: number; readonly reason: string };
}

/** Places in each append kept for bulk events while any wait. */
const bulkReserve = 10;

export class AuditTrail {
  private readonly store: AuditStore;
  private readonly now: () => Date;
  private readonly maxPending: number;
  private readonly summaryEveryMs: number;
  private readonly maxVerify: number;
  /** Events from known callers and the kernel itself: never suppressed, sent first. */
  private priority: Pending[] = [];
  /** Events about unverified callers (refused credentials): bounded, summarised when full. */
  private bulk: Pending[] = [];
  private draining = false;
  private suppressed: Suppressed | undefined;

  constructor(private readonly options: AuditTrailOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.maxPending = Math.max(1, options.maxPending ?? 5000);
    this.summaryEveryMs = Math.max(0, options.summaryEveryMs ?? 60_000);
    this.maxVerify = Math.max(1, options.maxVerifyEntries ?? 20_000);
  }

  /** Events waiting for storage (not yet in an append that succeeded or failed). */
  get pending(): number {
    return this.priority.length + this.bulk.length;
  }

  /**
   * Appends an event; resolves with the sealed entry, rejects when the store does.
   * `bulk` marks an event about an unverified caller (a refused credential): it
   * waits behind everything else and, through recordQuietly, may be summarised.
   */
  record(event: AuditEvent, options: RecordOptions = {}): Promise<AuditEntry> {
    const clean: AuditEvent = { ...event, context: redactContext(event.context) };
    return new Promise<AuditEntry>((resolve, reject) => {
      // Id and time are fixed now: a retried append re-seals the same entry on a new head.
      (options.bulk ? this.bulk : this.priority).push({
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
   * answer (a 401, a key change), where a storage hiccup must not change that
   * answer. Failures go to `onError`. A `bulk` event that finds the bulk queue full
   * is counted into an `audit.suppressed` entry instead of waiting; other events
   * are always queued.
   */
  async recordQuietly(event: AuditEvent, options: RecordOptions = {}): Promise<void> {
    if (options.bulk && this.bulk.length >= this.maxPending) {
      this.suppress(event.event_type);
      return;
    }
    try {
      await this.record(event, options);
    } catch (error) {
      this.report(error, { event_type: event.event_type, subject_id: event.subject_id });
    }
  }

  private report(error: unknown, event: Pick<AuditEvent, 'event_type' | 'subject_id'>): void {
    try {
      this.options.onError?.(error, event);
    } catch {
      // Reporting must not throw either.
    }
  }

  private suppress(eventType: string): void {
    const at = this.now().toISOString();
    if (this.suppressed === undefined) {
      this.suppressed = { counts: new Map(), first_at: at, last_at: at };
      this.report(
        new Error(
          `audit backlog full (${this.maxPending} waiting): counting refusals instead of recording each`,
        ),
        { event_type: suppressedEventType, subject_id: 'audit' },
      );
    }
    this.suppressed.counts.set(eventType, (this.suppressed.counts.get(eventType) ?? 0) + 1);
    this.suppressed.last_at = at;
  }

  /** Sends queued events in batches, priority first, until both queues are empty; one drain at a time. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void (async () => {
      try {
        for (;;) {
          if (this.summaryDue()) this.queueSummary();
          // Priority first, with a few places kept for bulk so a steady stream of
          // priority events cannot hold refusals (and the 401s waiting on them) forever.
          const reserved = this.bulk.length > 0 ? bulkReserve : 0;
          const batch = this.priority.splice(0, maxAuditBatch - reserved);
          if (batch.length < maxAuditBatch) batch.push(...this.bulk.splice(0, maxAuditBatch - batch.length));
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

  /** A summary goes out once the bulk queue is half empty again, or after summaryEveryMs regardless. */
  private summaryDue(): boolean {
    const summary = this.suppressed;
    if (summary === undefined) return false;
    if (this.bulk.length <= this.maxPending / 2) return true;
    return this.now().getTime() - Date.parse(summary.first_at) >= this.summaryEveryMs;
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
    }).catch((error: unknown) =>
      this.report(error, { event_type: suppressedEventType, subject_id: 'audit' }),
    );
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
   * The scheduled check: verifies what was appended since the last checkpoint (or
   * the newest stretch, the first time), up to the head, and records an
   * `audit.checkpoint` entry with the head's sequence and hash and the verdict.
   * The caller also writes that line to the host log (Application Insights in
   * Azure), which anchors the head outside the storage account: a later rewrite of
   * the table no longer matches what the log holds. Not for callers over HTTP.
   */
  async checkpoint(): Promise<AuditCheckpoint> {
    const [previous] = await this.store.query({ event_type: checkpointEventType, limit: 1 });
    // Where the last checkpoint stopped: its head, or where a stretch cut short left off.
    const since = previous?.context['resume_from'];
    const from = typeof since === 'number' && Number.isInteger(since) && since > 0 ? since : undefined;
    const verdict = await this.verifyUnchecked(from === undefined ? {} : { from_sequence: from });
    const head = await this.store.head();
    const checkpoint: AuditCheckpoint = {
      head_sequence: head?.sequence ?? 0,
      head_hash: head?.hash ?? null,
      verified_from: verdict.first_sequence,
      verified_to: verdict.last_sequence,
      valid: verdict.valid,
      complete: verdict.complete ?? true,
      resume_from:
        verdict.valid && verdict.next_from_sequence !== undefined
          ? verdict.next_from_sequence
          : Math.max(1, head?.sequence ?? 1),
      ...(verdict.broken ? { broken: verdict.broken } : {}),
    };
    await this.record({
      event_type: checkpointEventType,
      subject_id: 'audit',
      subject_type: 'kernel',
      action: 'checkpoint',
      severity: verdict.valid ? 'info' : 'critical',
      target: null,
      context: { ...checkpoint },
      app_id: null,
    });
    return checkpoint;
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
    return this.verifyUnchecked(query);
  }

  private async verifyUnchecked(query: AuditVerifyQuery): Promise<ChainVerification> {
    const head = await this.store.head();
    const last = head?.sequence ?? 0;
    const wanted = Math.min(query.to_sequence ?? last, last);
    // Without a range, the newest entries (up to one call's worth) and the head: what a
    // scheduled check needs to see recent edits and removals. With from_sequence, one
    // bounded stretch from there, and where the next one starts.
    const from =
      query.from_sequence ?? (query.to_sequence === undefined ? Math.max(1, last - this.maxVerify + 1) : 1);
    const to = Math.min(wanted, from + this.maxVerify - 1);
    if (from > to)
      return { valid: true, complete: true, checked: 0, first_sequence: null, last_sequence: null };
    let before: ChainHead | null = null;
    if (from > 1) {
      const [previous] = await this.store.range(from - 1, from - 1);
      if (previous === undefined) {
        return {
          valid: false,
          complete: to === wanted,
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
    const verdict = { ...verifier.finish(to === last ? head : { through: to }), complete: to === wanted };
    return verdict.valid && to < wanted ? { ...verdict, next_from_sequence: to + 1 } : verdict;
  }
}
