import type { AuditEntry, AuditQuery, AuditStore, ChainHead } from '../../kernel/audit';

/** The audit trail in memory: unit tests and the embedded default. Same semantics as the table store. */
export class MemoryAuditStore implements AuditStore {
  /** In ascending sequence order; tests may tamper with it to exercise verification. */
  readonly entries: AuditEntry[] = [];
  private current: ChainHead | null = null;

  async append(seal: (head: ChainHead | null) => AuditEntry): Promise<AuditEntry> {
    const entry = seal(this.current);
    const expected = (this.current?.sequence ?? 0) + 1;
    if (entry.sequence !== expected) {
      throw new Error(`audit entry sealed with sequence ${entry.sequence}, expected ${expected}`);
    }
    this.entries.push(structuredClone(entry));
    this.current = { sequence: entry.sequence, hash: entry.hash };
    return entry;
  }

  async head(): Promise<ChainHead | null> {
    return this.current;
  }

  async query(query: AuditQuery): Promise<AuditEntry[]> {
    const out: AuditEntry[] = [];
    for (let index = this.entries.length - 1; index >= 0 && out.length < query.limit; index -= 1) {
      const entry = this.entries[index] as AuditEntry;
      if (query.start_time !== undefined && entry.timestamp < query.start_time) continue;
      if (query.end_time !== undefined && entry.timestamp > query.end_time) continue;
      if (query.event_type !== undefined && entry.event_type !== query.event_type) continue;
      if (query.subject_id !== undefined && entry.subject_id !== query.subject_id) continue;
      if (query.app_id !== undefined && entry.app_id !== query.app_id) continue;
      out.push(structuredClone(entry));
    }
    return out;
  }

  async range(from: number, to: number): Promise<AuditEntry[]> {
    return this.entries
      .filter((entry) => entry.sequence >= from && entry.sequence <= to)
      .sort((a, b) => a.sequence - b.sequence)
      .map((entry) => structuredClone(entry));
  }
}
