import { describe, expect, it } from 'vitest';
import type { AgentRecord, AgentRegistry, SecretStore } from '../../../src/kernel/agents';

/**
 * What every AgentRegistry and SecretStore must do, run against each
 * implementation (memory in the unit tests, Azure Tables against Azurite here).
 */

function agent(agentId: string, overrides: Partial<AgentRecord> = {}): AgentRecord {
  return {
    agent_id: agentId,
    agent_type: 'generic',
    name: agentId,
    purpose: 'Contract test',
    adapter_name: '',
    capabilities: ['a', 'b'],
    model: null,
    tools: [{ name: 'search', args: { q: 'string' } }],
    config: { nested: { list: [1, 2, 3] } },
    metadata: { unicode: 'naïve — ✓' },
    registered_at: '2026-01-01T00:00:00.000Z',
    updated_at: '2026-01-01T00:00:00.000Z',
    transport: {
      type: 'http',
      url: 'https://a.example',
      headers: { Authorization: { secret_ref: 'agent/x/header/Authorization' } },
    },
    retry: { max_attempts: 3, backoff_ms: 500, backoff_coefficient: 2 },
    app_id: null,
    ...overrides,
  };
}

export function agentRegistryContract(name: string, open: () => Promise<AgentRegistry>): void {
  describe(`${name} (AgentRegistry contract)`, () => {
    it('returns what was put, and undefined for unknown ids', async () => {
      const registry = await open();
      const record = agent('agent.one:v1_x-y');
      await registry.put(record);
      expect(await registry.get('agent.one:v1_x-y')).toEqual(record);
      expect(await registry.get('missing')).toBeUndefined();
      expect(await registry.get('not/an id')).toBeUndefined();
    });

    it('replaces the record on a second put', async () => {
      const registry = await open();
      await registry.put(agent('a', { metadata: { big: 'x'.repeat(100_000) } }));
      const smaller = agent('a', { purpose: 'updated', transport: null });
      await registry.put(smaller);
      expect(await registry.get('a')).toEqual(smaller);
    });

    it('keeps large records with any characters intact', async () => {
      const registry = await open();
      // A long run of 3-byte characters: some straddle the 64 KiB chunks of the request body.
      const record = agent('big', { config: { text: '✓'.repeat(60_000), emoji: '😀'.repeat(1_000) } });
      await registry.put(record);
      expect(await registry.get('big')).toEqual(record);
    });

    it('lists all records, or those of one type or one app', async () => {
      const registry = await open();
      await registry.put(agent('w1', { agent_type: 'writer', app_id: 'app-1' }));
      await registry.put(agent('w2', { agent_type: 'writer' }));
      await registry.put(agent('c1', { agent_type: 'critic', app_id: 'app-1' }));
      const ids = (records: AgentRecord[]) => records.map((r) => r.agent_id).sort();
      expect(ids(await registry.list())).toEqual(['c1', 'w1', 'w2']);
      expect(ids(await registry.list({ agent_type: 'writer' }))).toEqual(['w1', 'w2']);
      expect(ids(await registry.list({ app_id: 'app-1' }))).toEqual(['c1', 'w1']);
      expect(ids(await registry.list({ app_id: null }))).toEqual(['w2']);
      expect(ids(await registry.list({ agent_type: 'critic', app_id: 'app-1' }))).toEqual(['c1']);
      expect(await registry.list({ agent_type: "it's" })).toEqual([]);
    });
  });
}

export function secretStoreContract(name: string, open: () => Promise<SecretStore>): void {
  describe(`${name} (SecretStore contract)`, () => {
    it('returns what was put, the latest value, and undefined for unknown names', async () => {
      const store = await open();
      await store.put('agent/a/header/Authorization', 'Bearer one');
      await store.put('agent/a/header/Authorization', 'Bearer two');
      expect(await store.get('agent/a/header/Authorization')).toBe('Bearer two');
      expect(await store.get('agent/a/header/Other')).toBeUndefined();
    });

    it('keeps names with any printable characters apart', async () => {
      const store = await open();
      const names = [
        "agent/a:b/header/X-Key's",
        'agent/a:b/header/X%2FKey',
        'agent/a:b/header/X/Key',
        'agent/ü/h/?#',
      ];
      for (const [index, name] of names.entries()) await store.put(name, `value-${index}`);
      for (const [index, name] of names.entries()) expect(await store.get(name)).toBe(`value-${index}`);
    });

    it('deletes a name and everything beneath it, not names that merely start alike', async () => {
      const store = await open();
      await store.put('agent/a/header/X', '1');
      await store.put('agent/a/header/X-Other', '2');
      await store.put('agent/ab/header/X', '3');
      await store.put('agent/a/token/t', '4');
      expect(await store.delete('agent/a/header/X')).toBe(1);
      expect(await store.get('agent/a/header/X')).toBeUndefined();
      expect(await store.get('agent/a/header/X-Other')).toBe('2');
      expect(await store.delete('agent/a/')).toBe(2);
      expect(await store.get('agent/a/token/t')).toBeUndefined();
      expect(await store.get('agent/ab/header/X')).toBe('3');
      expect(await store.delete('agent/a')).toBe(0);
    });

    it('refuses empty names and prefixes', async () => {
      const store = await open();
      await expect(store.put('', 'x')).rejects.toMatchObject({ code: 'bad_request' });
      await expect(store.delete('')).rejects.toMatchObject({ code: 'bad_request' });
    });
  });
}
