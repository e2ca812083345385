import type { AuditEntry, AuditQuery, ChainHead } from './types';

/**
 * Where the trail lives. Appends are the only write: a store never updates or
 * deletes an entry. Implementations: MemoryAuditStore (unit tests) and
 * TableAuditStore (Azure Tables; Azurite locally).
 */
export interface AuditStore {
  /**
   * Appends the entry `seal` builds on the current head and moves the head to it,
   * atomically. When another writer appended first, the store calls `seal` again
   * on the new head (so `seal` must be pure).
   */
  append(seal: (head: ChainHead | null) => AuditEntry): Promise<AuditEntry>;
  /** The newest entry's sequence and hash; null while the trail is empty. */
  head(): Promise<ChainHead | null>;
  /** Entries matching every filter, newest first, at most `limit`. */
  query(query: AuditQuery): Promise<AuditEntry[]>;
  /** Entries with `from <= sequence <= to`, in ascending sequence order. */
  range(from: number, to: number): Promise<AuditEntry[]>;
}
