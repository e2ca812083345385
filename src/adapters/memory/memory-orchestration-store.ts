import type {
  OrchestrationListQuery,
  OrchestrationRecord,
  OrchestrationStore,
} from '../../kernel/orchestrations/orchestration-store';

/** Orchestration records in memory: unit tests and the embedded default. */
export class MemoryOrchestrationStore implements OrchestrationStore {
  #records = new Map<string, OrchestrationRecord>();

  async create(record: OrchestrationRecord): Promise<{ record: OrchestrationRecord; created: boolean }> {
    const existing = this.#records.get(record.orchestration_id);
    if (existing) return { record: existing, created: false };
    this.#records.set(record.orchestration_id, record);
    return { record, created: true };
  }

  async get(orchestrationId: string): Promise<OrchestrationRecord | undefined> {
    return this.#records.get(orchestrationId);
  }

  async update(
    orchestrationId: string,
    patch: Partial<Pick<OrchestrationRecord, 'stop_requested'>>,
  ): Promise<void> {
    const existing = this.#records.get(orchestrationId);
    if (existing) this.#records.set(orchestrationId, { ...existing, ...patch });
  }

  async list(
    query: OrchestrationListQuery,
  ): Promise<{ records: OrchestrationRecord[]; continuation?: string }> {
    const all = [...this.#records.values()]
      .filter((r) => query.app_id === undefined || r.app_id === query.app_id)
      .filter((r) => query.agent_id === undefined || r.agent_ids.includes(query.agent_id))
      .sort(
        (a, b) =>
          b.created_at.localeCompare(a.created_at) || a.orchestration_id.localeCompare(b.orchestration_id),
      );
    const offset = query.continuation
      ? Number(Buffer.from(query.continuation, 'base64url').toString()) || 0
      : 0;
    const records = all.slice(offset, offset + query.limit);
    const next =
      offset + query.limit < all.length
        ? Buffer.from(String(offset + query.limit)).toString('base64url')
        : undefined;
    return next ? { records, continuation: next } : { records };
  }
}
