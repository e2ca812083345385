import { describe, expect, it } from 'vitest';
import { MemorySecretStore } from '../../../../src/adapters/memory/memory-secret-store';
import type { AgentRecord, BuiltinAgent, TransportResult } from '../../../../src/kernel/agents';
import { BuiltinTransport, TransportError, createSecretResolver } from '../../../../src/kernel/agents';
import { firstSentence, inputText } from '../../../../src/kernel/agents/transports';
import { NamedRegistry } from '../../../../src/kernel/extensions';
import { makeAgentServices, makeTask, record } from './fixtures';

/** The builtin agents' documented behaviour (docs/agent-protocol.md), through the builtin transport. */

async function ask(name: string, input: unknown, config: Record<string, unknown> = {}) {
  const { extensions } = makeAgentServices();
  const transport = extensions.transport('builtin')!;
  const result: TransportResult = await transport.invoke({
    agent: record({ agent_id: name, transport: { type: 'builtin', name }, config }),
    task: makeTask(name, { input }),
    timeoutMs: 1_000,
    signal: new AbortController().signal,
    secrets: createSecretResolver(new MemorySecretStore()),
  });
  if (result.kind !== 'reply') throw new Error('expected a reply');
  return result.reply;
}

describe('echo', () => {
  it('replies with a string input as its message and the input as output', async () => {
    expect(await ask('echo', 'hello there')).toEqual({ message: 'hello there', output: 'hello there' });
  });

  it('replies with the JSON text of other inputs', async () => {
    expect(await ask('echo', { a: [1, 2] })).toEqual({ message: '{"a":[1,2]}', output: { a: [1, 2] } });
  });

  it('replies with an empty message and no output when there is no input', async () => {
    expect(await ask('echo', undefined)).toEqual({ message: '' });
  });
});

describe('router', () => {
  const config = {
    routes: { billing: 'billing-agent', refund: 'refunds-agent' },
    complete_on: ['thanks', 'bye'],
  };

  it('routes to the agent of the keyword found, with a [ROUTE:…] tag and route', async () => {
    const reply = await ask('router', 'I have a question about my Billing address', config);
    expect(reply.route).toBe('billing-agent');
    expect(reply.message).toContain('[ROUTE:billing-agent]');
    expect(reply.output).toEqual({ matched: 'billing', route: 'billing-agent' });
  });

  it('picks the keyword that occurs first in the text', async () => {
    expect((await ask('router', 'a refund for a billing error', config)).route).toBe('refunds-agent');
    expect((await ask('router', 'a billing error, want a refund', config)).route).toBe('billing-agent');
  });

  it('matches whole words only', async () => {
    expect(
      (await ask('router', 'rebilling is not billing-free', { routes: { rebill: 'x' } })).route,
    ).toBeUndefined();
  });

  it('completes when a complete_on keyword appears, before any route', async () => {
    const reply = await ask('router', 'billing sorted, thanks!', config);
    expect(reply.message).toMatch(/\[COMPLETE\]$/);
    expect(reply.route).toBe('[COMPLETE]');
    expect(reply.message).not.toContain('[ROUTE:');
  });

  it('reads the last turn of a transcript, or a {message} input', async () => {
    expect(
      (
        await ask(
          'router',
          {
            transcript: [
              { agent_id: 'a', message: 'refund please' },
              { agent_id: 'b', message: 'billing now' },
            ],
          },
          config,
        )
      ).route,
    ).toBe('billing-agent');
    expect((await ask('router', { message: 'refund' }, config)).route).toBe('refunds-agent');
  });

  it('falls back to default_route, or replies without a tag', async () => {
    expect((await ask('router', 'nothing relevant', { ...config, default_route: 'triage' })).route).toBe(
      'triage',
    );
    const untagged = await ask('router', 'nothing relevant', config);
    expect(untagged).toEqual({ message: 'No route matched.', output: { matched: null, route: null } });
  });

  it('is deterministic', async () => {
    const text = 'refund and billing and thanks';
    expect(await ask('router', text, config)).toEqual(await ask('router', text, config));
  });
});

describe('summariser', () => {
  const transcript = {
    transcript: [
      { agent_id: 'writer', message: 'Here is the draft. It has three parts.' },
      { agent_id: 'critic', message: 'Part two is weak!  Fix the intro too.' },
      { from: 'editor', message: 'Approved' },
      { agent_id: 'ghost' },
    ],
  };

  it('summarises a transcript as the first sentence of each turn', async () => {
    const reply = await ask('summariser', transcript);
    expect(reply.message).toBe(
      [
        'Summary of 3 turns:',
        '- writer: Here is the draft.',
        '- critic: Part two is weak!',
        '- editor: Approved',
      ].join('\n'),
    );
    expect(reply.output).toEqual({ turns: 3, summary: reply.message });
    expect(reply.route).toBeUndefined();
  });

  it('ends with [COMPLETE] when config.complete is true', async () => {
    const reply = await ask('summariser', transcript, { complete: true });
    expect(reply.message).toMatch(/Approved \[COMPLETE\]$/);
    expect(reply.route).toBe('[COMPLETE]');
  });

  it('treats each line of a string input as a turn', async () => {
    const reply = await ask('summariser', 'First point. More.\n\nSecond point? Yes.');
    expect(reply.message).toBe('Summary of 2 turns:\n- First point.\n- Second point?');
  });

  it('caps each turn and the whole summary', async () => {
    const long = { transcript: [{ agent_id: 'a', message: 'word '.repeat(100) }] };
    const capped = await ask('summariser', long, { max_turn_chars: 30 });
    const line = capped.message.split('\n')[1]!;
    expect(line.length).toBeLessThanOrEqual(30);
    expect(line.length).toBeGreaterThan(20);
    expect(line.endsWith('…')).toBe(true);
    const many = {
      transcript: Array.from({ length: 50 }, (_, i) => ({ agent_id: `a${i}`, message: 'Fine.' })),
    };
    const summary = (await ask('summariser', many, { max_chars: 100 })).message;
    expect(summary.length).toBeLessThanOrEqual(100);
    expect(summary.length).toBeGreaterThan(90);
    expect(summary.endsWith('…')).toBe(true);
  });

  it('says so when there is nothing to summarise', async () => {
    expect((await ask('summariser', { transcript: [] })).message).toBe('Nothing to summarise.');
  });

  it('splits sentences deterministically', () => {
    expect(firstSentence('  One.Two. Three ')).toBe('One.Two.');
    expect(firstSentence('No end')).toBe('No end');
    expect(inputText(null)).toBe('');
    expect(inputText(42)).toBe('42');
  });
});

describe('builtin transport', () => {
  const call = (agent: AgentRecord, registry: NamedRegistry<BuiltinAgent>) =>
    new BuiltinTransport(registry).invoke({
      agent,
      task: makeTask(agent.agent_id),
      timeoutMs: 1_000,
      signal: new AbortController().signal,
      secrets: createSecretResolver(new MemorySecretStore()),
    });

  it('runs builtins registered by extensions', async () => {
    const registry = new NamedRegistry<BuiltinAgent>('builtin agent');
    registry.register('upper', {
      name: 'upper',
      description: 'capitals',
      handle: ({ task }) => ({ message: String(task.input).toUpperCase() }),
    });
    expect(await call(record({ transport: { type: 'builtin', name: 'upper' } }), registry)).toEqual({
      kind: 'reply',
      reply: { message: 'HELLO' },
    });
  });

  it('fails without retry for an unknown builtin, and wraps a builtin that throws', async () => {
    const registry = new NamedRegistry<BuiltinAgent>('builtin agent');
    registry.register('broken', {
      name: 'broken',
      description: 'throws',
      handle: () => {
        throw new Error('kaput');
      },
    });
    await expect(
      call(record({ transport: { type: 'builtin', name: 'nope' } }), registry),
    ).rejects.toMatchObject({
      code: 'unknown_builtin',
      retryable: false,
    });
    const error: unknown = await call(
      record({ transport: { type: 'builtin', name: 'broken' } }),
      registry,
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({
      code: 'agent_error',
      retryable: false,
      message: "builtin agent 'broken' failed: kaput",
    });
  });

  it('refuses a router whose stored config is invalid', async () => {
    const { extensions } = makeAgentServices();
    await expect(
      extensions.transport('builtin')!.invoke({
        agent: record({ transport: { type: 'builtin', name: 'router' }, config: { routes: 'nope' } }),
        task: makeTask('a1'),
        timeoutMs: 1_000,
        signal: new AbortController().signal,
        secrets: createSecretResolver(new MemorySecretStore()),
      }),
    ).rejects.toMatchObject({ code: 'invalid_config', retryable: false });
  });
});
