import type { AgentListFilter, AgentRecord, AgentRegistry } from '../../kernel/agents';

/** Agent records in memory: unit tests and the embedded default. */
export class MemoryAgentRegistry implements AgentRegistry {
  #records = new Map<string, AgentRecord>();

  async get(agentId: string): Promise<AgentRecord | undefined> {
    const record = this.#records.get(agentId);
    return record === undefined ? undefined : structuredClone(record);
  }

  async put(record: AgentRecord): Promise<void> {
    // Copies in and out, as a real store: callers cannot mutate what is stored.
    this.#records.set(record.agent_id, structuredClone(record));
  }

  async list(filter: AgentListFilter = {}): Promise<AgentRecord[]> {
    return [...this.#records.values()]
      .filter(
        (record) =>
          (filter.agent_type === undefined || record.agent_type === filter.agent_type) &&
          (filter.app_id === undefined || record.app_id === filter.app_id),
      )
      .map((record) => structuredClone(record));
  }
}
