import type { AgentRecord } from './types';

/**
 * The storage the agent service needs. Memory implementations live in
 * src/adapters/memory, Azure Table ones in src/adapters/azure.
 */

export interface AgentListFilter {
  readonly agent_type?: string;
  /** `null`: only kernel-wide agents. */
  readonly app_id?: string | null;
}

/** Where agent records live. Records never hold secret values, only references. */
export interface AgentRegistry {
  get(agentId: string): Promise<AgentRecord | undefined>;
  /** Inserts or replaces the record with the same agent_id. */
  put(record: AgentRecord): Promise<void>;
  list(filter?: AgentListFilter): Promise<AgentRecord[]>;
}

/**
 * Named secret values (agent header values, later MCP server secrets). Names are
 * paths like `agent/<agent_id>/header/<Header-Name>`. Azure deployments should use
 * Key Vault (a later issue); the memory and Table stores are for tests and local runs.
 */
export interface SecretStore {
  put(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  /**
   * Deletes the secret named `prefix` and every secret beneath it (`prefix/…`);
   * a prefix ending in `/` deletes only what is beneath. Returns how many went.
   */
  delete(prefix: string): Promise<number>;
}
