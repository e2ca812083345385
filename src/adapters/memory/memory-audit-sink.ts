import type { AgentCallAuditRecord, AuditSink } from '../../kernel/executor';

/** Audit records in memory, in the order written: unit tests and the embedded default. */
export class MemoryAuditSink implements AuditSink {
  readonly records: AgentCallAuditRecord[] = [];

  async write(record: AgentCallAuditRecord): Promise<void> {
    this.records.push(record);
  }
}
