import path from 'node:path';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { MemoryAgentRegistry } from '../../../../src/adapters/memory/memory-agent-registry';
import { MemorySecretStore } from '../../../../src/adapters/memory/memory-secret-store';
import type { AgentTransport } from '../../../../src/kernel/agents';
import { AgentService, createKernelExtensionRegistry } from '../../../../src/kernel/agents';
import { ExtensionRegistry, loadExtensionPackages } from '../../../../src/kernel/extensions';
import { AgentExecutor } from '../../../../src/kernel/executor';
import { makeTask } from '../agents/fixtures';

const fixtures = path.resolve(__dirname, '../../../fixtures');

const transport = (type: string, message = type): AgentTransport => ({
  type,
  invoke: async () => ({ kind: 'reply', reply: { message } }),
});

describe('ExtensionRegistry', () => {
  it('finds transports by type, and nothing for unknown types', () => {
    const registry = new ExtensionRegistry().registerTransport(transport('carrier'));
    expect(registry.transport('carrier')?.type).toBe('carrier');
    expect(registry.transport('other')).toBeUndefined();
    expect(registry.transportTypes()).toEqual(['carrier']);
  });

  it('refuses a second transport of the same type unless told to replace it', () => {
    const registry = new ExtensionRegistry().registerTransport(transport('carrier', 'first'));
    expect(() => registry.registerTransport(transport('carrier', 'second'))).toThrow(
      expect.objectContaining({
        code: 'conflict',
        detail: "A transport of type 'carrier' is already registered.",
      }),
    );
    const second = transport('carrier', 'second');
    registry.registerTransport(second, undefined, { replace: true });
    expect(registry.transport('carrier')).toBe(second);
  });

  it('declares a type by schema alone, and keeps that schema when the implementation arrives', () => {
    const schema = z.object({ type: z.literal('later'), server: z.string() });
    const registry = new ExtensionRegistry().registerTransportType('later', schema, {
      secretFields: { keys: 'key' },
    });
    expect(registry.transport('later')).toBeUndefined();
    registry.registerTransport(transport('later'));
    expect(registry.transportDefinition('later')).toMatchObject({ schema, secretFields: { keys: 'key' } });
    expect(registry.transport('later')).toBeDefined();
  });

  it('rejects names that are not simple identifiers', () => {
    expect(() => new ExtensionRegistry().registerTransport(transport('has space'))).toThrow(
      /Invalid transport name/,
    );
  });

  it('holds builtin agents by name and refuses duplicates', () => {
    const registry = new ExtensionRegistry();
    const agent = { name: 'zed', description: 'z', handle: () => ({ message: 'z' }) };
    registry.registerBuiltinAgent(agent).registerBuiltinAgent({ ...agent, name: 'alpha' });
    expect(registry.builtinAgents.names()).toEqual(['alpha', 'zed']);
    expect(() => registry.registerBuiltinAgent(agent)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        detail: "A builtin agent named 'zed' is already registered.",
      }),
    );
  });

  it('validates registrations of an extension transport with its own schema', async () => {
    const extensions = createKernelExtensionRegistry().registerTransport(
      transport('carrier'),
      z.strictObject({ type: z.literal('carrier'), loft: z.string().min(3) }),
    );
    const service = new AgentService({
      registry: new MemoryAgentRegistry(),
      secrets: new MemorySecretStore(),
      extensions,
    });
    await expect(
      service.register(
        { agent_id: 'p', purpose: 'p', transport: { type: 'carrier', loft: 'x' } },
        { app_id: null },
      ),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'transport.loft' })] });
    const { record } = await service.register(
      { agent_id: 'p', purpose: 'p', transport: { type: 'carrier', loft: 'roof' } },
      { app_id: null },
    );
    expect(record.transport).toEqual({ type: 'carrier', loft: 'roof' });
  });
});

describe('loadExtensionPackages', () => {
  it('requires each package and calls its register(registry): transports, schemas, secrets and builtins', async () => {
    const extensions = createKernelExtensionRegistry();
    const loaded = await loadExtensionPackages(
      ['./extension-package', ' ', './extension-package'],
      extensions,
      {
        resolveFrom: fixtures,
      },
    );
    expect(loaded).toEqual(['./extension-package']);
    expect(extensions.transport('pigeon')).toBeDefined();
    expect(extensions.builtinAgents.has('shout')).toBe(true);

    const registry = new MemoryAgentRegistry();
    const secrets = new MemorySecretStore();
    const service = new AgentService({ registry, secrets, extensions });
    await expect(
      service.register({ agent_id: 'bird', purpose: 'p', transport: { type: 'pigeon' } }, { app_id: null }),
    ).rejects.toMatchObject({ errors: [expect.objectContaining({ field: 'transport.loft' })] });
    const { record } = await service.register(
      {
        agent_id: 'bird',
        purpose: 'p',
        transport: { type: 'pigeon', loft: 'north', tokens: { t1: 'seed-secret' } },
      },
      { app_id: null },
    );
    // The package declared `tokens` secret: stored by reference.
    expect(record.transport).toEqual({
      type: 'pigeon',
      loft: 'north',
      tokens: { t1: { secret_ref: 'agent/bird/token/t1' } },
    });
    expect(await secrets.get('agent/bird/token/t1')).toBe('seed-secret');

    const executor = new AgentExecutor({ agents: registry, secrets, extensions });
    expect(await executor.execute({ task: makeTask('bird') })).toMatchObject({
      status: 'succeeded',
      message: 'coo from north',
    });
    await service.register(
      { agent_id: 'loud', purpose: 'p', transport: { type: 'builtin', name: 'shout' } },
      { app_id: null },
    );
    expect(await executor.execute({ task: makeTask('loud', { input: 'hi' }) })).toMatchObject({
      message: 'HI',
    });
  });

  it('resolves absolute paths without resolveFrom', async () => {
    const extensions = new ExtensionRegistry();
    await loadExtensionPackages([path.join(fixtures, 'extension-package')], extensions);
    expect(extensions.transport('pigeon')).toBeDefined();
  });

  it('names a package that cannot be found', async () => {
    await expect(
      loadExtensionPackages(['aos-extension-that-does-not-exist'], new ExtensionRegistry()),
    ).rejects.toMatchObject({
      code: 'internal',
      message: 'Extension package could not be loaded',
      detail: expect.stringContaining("'aos-extension-that-does-not-exist': MODULE_NOT_FOUND"),
    });
  });

  it('names a package without a register function', async () => {
    await expect(
      loadExtensionPackages(['./extension-package/no-register'], new ExtensionRegistry(), {
        resolveFrom: fixtures,
      }),
    ).rejects.toMatchObject({ detail: "'./extension-package/no-register' must export register(registry)." });
  });

  it('names a package whose register fails', async () => {
    await expect(
      loadExtensionPackages(['./extension-package/failing'], new ExtensionRegistry(), {
        resolveFrom: fixtures,
      }),
    ).rejects.toMatchObject({
      message: 'Extension package failed to register',
      detail: "'./extension-package/failing': the pigeons escaped",
    });
  });
});
