import type { AuditEntry, AuditQuery, ChainHead } from './types';

/** Entries one append may carry: an Azure Tables transaction holds 100 operations, one is the head. */
export const maxAuditBatch = 99;

/**
 * Where the trail lives. Appends are the only write: a store never updates or
 * deletes an entry. Implementations: MemoryAuditStore (unit tests) and
 * TableAuditStore (Azure Tables; Azurite locally).
 */
export interface AuditStore {
  /**
   * Appends the entries `seal` builds on the current head (each linked to the one
   * before, at most `maxAuditBatch`) and moves the head to the last, all or
   * nothing. When another writer appended first, the store calls `seal` again on
   * the new head (so `seal` must be pure).
   */
  append(seal: (head: ChainHead | null) => readonly AuditEntry[]): Promise<readonly AuditEntry[]>;
  /** The newest entry's sequence and hash; null while the trail is empty. */
  head(): Promise<ChainHead | null>;
  /** Entries matching every filter, newest first, at most `limit`. */
  query(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries with `from <= sequence <= to`, in ascending sequence order. */
  range(from: number, to: number): Promise<AuditEntry[]>;
}
