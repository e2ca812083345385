import type { Principal } from '../auth/access';
import { authorize, isKernelWide } from '../auth/access';
import { KernelError } from '../errors';
import type { ChainVerification } from './chain';
import { ChainVerifier, sealEntry } from './chain';
import type { AuditSink } from '../executor';
import { agentCallEvent } from './events';
import type { AuditStore } from './ports';
import { redactContext } from './redact';
import type { AuditEntry, AuditEvent, AuditTrailQuery, AuditVerifyQuery, ChainHead } from './types';

/**
 * The tamper-evident audit trail: records events as hash-chained entries and
 * answers queries and verification for auditors.
 *
 * Appends from one process are queued, so they never race each other for the
 * head; appends from other processes are resolved by the store (compare-and-swap
 * on the head, then a retry that re-seals on the new head).
 */

export interface AuditTrailOptions {
  readonly store: AuditStore;
  readonly now?: () => Date;
  readonly newId: () => string;
  /** Where `recordQuietly` reports a failed write (the event's type only; no context). */
  readonly onError?: (error: unknown, event: Pick<AuditEvent, 'event_type' | 'subject_id'>) => void;
  /** Entries read per slice when verifying (default 500). */
  readonly verifySliceSize?: number;
}

export class AuditTrail {
  private readonly store: AuditStore;
  private readonly now: () => Date;
  private tail: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: AuditTrailOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
  }

  /** Appends an event; resolves with the sealed entry, rejects when the store does. */
  record(event: AuditEvent): Promise<AuditEntry> {
    const clean: AuditEvent = { ...event, context: redactContext(event.context) };
    const append = this.tail.then(() =>
      this.store.append((head) =>
        sealEntry(clean, head, { id: this.options.newId(), timestamp: this.now().toISOString() }),
      ),
    );
    this.tail = append.catch(() => undefined);
    return append;
  }

  /**
   * Appends without failing the caller: for events recorded on the way to another
   * answer (a 401, a step result), where a storage hiccup must not change that
   * answer. Failures go to `onError`.
   */
  async recordQuietly(event: AuditEvent): Promise<void> {
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
