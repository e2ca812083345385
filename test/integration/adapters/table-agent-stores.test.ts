import { randomBytes } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { describe, expect, inject, it, onTestFinished } from 'vitest';
import { TableAgentRegistry } from '../../../src/adapters/azure/agent-registry';
import { TableSecretStore, encodeSecretKey } from '../../../src/adapters/azure/secret-store';
import { MemoryAgentRegistry } from '../../../src/adapters/memory/memory-agent-registry';
import { AgentService, createKernelExtensionRegistry } from '../../../src/kernel/agents';
import { parseStorageConnection } from '../../../src/kernel/config';
import { agentRegistryContract, secretStoreContract } from './agent-store-contracts';

/**
 * The Azure Table agent registry and secret store against the run's Azurite: the
 * shared contracts, plus what only the table layout can get wrong. Every store gets
 * its own tables (a unique prefix), dropped when its test ends.
 */

const connection = parseStorageConnection('AzureWebJobsStorage', {
  AzureWebJobsStorage: inject('azuriteConnectionString'),
});

function uniquePrefix(): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

async function openRegistry(tablePrefix = uniquePrefix()): Promise<TableAgentRegistry> {
  const registry = await TableAgentRegistry.create({ connection, tablePrefix });
  onTestFinished(() => registry.deleteTable());
  return registry;
}

async function openSecrets(tablePrefix = uniquePrefix()): Promise<TableSecretStore> {
  const store = await TableSecretStore.create({ connection, tablePrefix });
  onTestFinished(() => store.deleteTable());
  return store;
}

agentRegistryContract('TableAgentRegistry', () => openRegistry());
secretStoreContract('TableSecretStore', () => openSecrets());

describe('Table agent stores', () => {
  it('name their tables from resource-names with the prefix, and reopen existing tables', async () => {
    const prefix = uniquePrefix();
    const registry = await openRegistry(prefix);
    const secrets = await openSecrets(prefix);
    expect(registry.tableName).toBe(`${prefix}agents`);
    expect(secrets.tableName).toBe(`${prefix}secrets`);
    await registry.put({
      agent_id: 'kept',
      agent_type: 'generic',
      name: 'kept',
      purpose: 'p',
      adapter_name: '',
      capabilities: [],
      model: null,
      tools: [],
      config: {},
      metadata: {},
      registered_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-01T00:00:00.000Z',
      transport: null,
      retry: { max_attempts: 1, backoff_ms: 0 },
      app_id: null,
    });
    const reopened = await TableAgentRegistry.create({ connection, tablePrefix: prefix });
    expect((await reopened.get('kept'))?.retry).toEqual({ max_attempts: 1, backoff_ms: 0 });
  });

  it('refuses a record over the row size limit with payload_too_large', async () => {
    const registry = await openRegistry();
    await expect(
      registry.put({
        agent_id: 'huge',
        agent_type: 'generic',
        name: 'huge',
        purpose: 'p',
        adapter_name: '',
        capabilities: [],
        model: null,
        tools: [],
        config: { text: '✓'.repeat(100_000) },
        metadata: {},
        registered_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
        transport: null,
        retry: { max_attempts: 1, backoff_ms: 0 },
        app_id: null,
      }),
    ).rejects.toMatchObject({ code: 'payload_too_large' });
  });

  it('rejects a prefix that makes an invalid table name', async () => {
    await expect(TableAgentRegistry.create({ connection, tablePrefix: '1bad' })).rejects.toMatchObject({
      code: 'internal',
    });
  });

  it('reports a corrupt stored record instead of returning garbage', async () => {
    const registry = await openRegistry();
    const client = TableClient.fromConnectionString(inject('azuriteConnectionString'), registry.tableName, {
      allowInsecureConnection: true,
    });
    await client.upsertEntity({
      partitionKey: 'agent',
      rowKey: 'broken',
      Parts: 1,
      Data0: '{"agent_id":"broken"}',
    });
    await expect(registry.get('broken')).rejects.toMatchObject({
      code: 'internal',
      detail: expect.stringContaining("'broken'"),
    });
  });

  it('keeps secret values out of the agents table, end to end through the agent service', async () => {
    const prefix = uniquePrefix();
    const registry = await openRegistry(prefix);
    const secrets = await openSecrets(prefix);
    const service = new AgentService({ registry, secrets, extensions: createKernelExtensionRegistry() });
    const secret = 'Bearer table-secret-9876';
    await service.register(
      {
        agent_id: 'remote',
        purpose: 'p',
        transport: { type: 'http', url: 'https://agents.example/remote', headers: { Authorization: secret } },
      },
      { app_id: null },
    );
    const client = TableClient.fromConnectionString(inject('azuriteConnectionString'), registry.tableName, {
      allowInsecureConnection: true,
    });
    const rows: unknown[] = [];
    for await (const row of client.listEntities()) rows.push(row);
    expect(rows).toHaveLength(1);
    expect(JSON.stringify(rows)).not.toContain('table-secret-9876');
    expect(await secrets.get('agent/remote/header/Authorization')).toBe(secret);
    expect(JSON.stringify(service.toWire(await service.get('remote')))).not.toContain('table-secret-9876');
    // The memory registry would hold the same record.
    const memory = new MemoryAgentRegistry();
    await memory.put(await service.get('remote'));
    expect(await memory.get('remote')).toEqual(await registry.get('remote'));
  });

  it('encodes secret names into legal, distinct row keys', () => {
    expect(encodeSecretKey('agent/a/header/X')).toBe('agent%2Fa%2Fheader%2FX');
    expect(encodeSecretKey("a'(b)*!")).toBe('a%27%28b%29%2A%21');
    expect(encodeSecretKey('%2F')).not.toBe(encodeSecretKey('/'));
    expect(encodeSecretKey('agent/ü/#?\\')).toMatch(/^[A-Za-z0-9%._~-]+$/);
  });
});
