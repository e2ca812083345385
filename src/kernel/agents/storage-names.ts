/**
 * The tables the agent adapters use. Declared in config/resource-names.ts too
 * (storageNames.tables, which infra provisions); a test keeps the two in step.
 */
export const agentStorageNames = {
  /** Agent records (TableAgentRegistry). */
  agentsTable: 'agents',
  /** Secret values for local runs (TableSecretStore); Azure deployments move to Key Vault. */
  secretsTable: 'secrets',
} as const;
