import type { AuditEntry, AuditQuery, AuditStore, ChainHead } from '../../kernel/audit';
import { maxAuditBatch } from '../../kernel/audit';

/** The audit trail in memory: unit tests and the embedded default. Same semantics as the table store. */
export class MemoryAuditStore implements AuditStore {
  /** In ascending sequence order; tests may tamper with it to exercise verification. */
  readonly entries: AuditEntry[] = [];
  private current: ChainHead | null = null;

  /** How many appends (batches) were made: tests of batching read it. */
  appends = 0;

  async append(seal: (head: ChainHead | null) => readonly AuditEntry[]): Promise<readonly AuditEntry[]> {
    const entries = seal(this.current);
    if (entries.length === 0 || entries.length > maxAuditBatch) {
      throw new Error(`an append carries 1 to ${maxAuditBatch} entries, not ${entries.length}`);
    }
    let expected = (this.current?.sequence ?? 0) + 1;
    for (const entry of entries) {
      if (entry.sequence !== expected) {
        throw new Error(`audit entry sealed with sequence ${entry.sequence}, expected ${expected}`);
      }
      expected += 1;
    }
    this.appends += 1;
    for (const entry of entries) this.entries.push(structuredClone(entry));
    const last = entries[entries.length - 1] as AuditEntry;
    this.current = { sequence: last.sequence, hash: last.hash };
    return entries;
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
