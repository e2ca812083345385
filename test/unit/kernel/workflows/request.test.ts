import { describe, expect, it } from 'vitest';
import { validationError } from '../../../../src/kernel/errors';
import type { OrchestrationRequest } from '../../../../src/kernel/workflows';
import {
  callbackUrlProblem,
  canonicalJson,
  orchestrationRequestSchema,
  requestFingerprint,
} from '../../../../src/kernel/workflows';

function parse(body: unknown): OrchestrationRequest {
  return orchestrationRequestSchema.parse(body);
}

/** The field paths a body is rejected for. */
function faults(body: unknown): string[] {
  const result = orchestrationRequestSchema.safeParse(body);
  if (result.success) return [];
  return (validationError(result.error, 'body').errors ?? []).map((error) => error.field);
}

function faultMessages(body: unknown): Record<string, string> {
  const result = orchestrationRequestSchema.safeParse(body);
  if (result.success) return {};
  return Object.fromEntries(result.error.issues.map((issue) => [issue.path.join('.'), issue.message]));
}

const minimal = { agent_ids: ['writer'], purpose: 'Write a report' };

describe('orchestrationRequestSchema', () => {
  it('defaults workflow to collaborative and fills context, config and mcp_servers', () => {
    expect(parse(minimal)).toEqual({
      agent_ids: ['writer'],
      workflow: 'collaborative',
      purpose: { purpose: 'Write a report', purpose_scope: 'General orchestration scope' },
      context: {},
      config: {},
      mcp_servers: {},
    });
  });

  it('normalises a bare-string purpose to the object form', () => {
    expect(parse({ ...minimal, purpose: 'Grow revenue' }).purpose).toEqual({
      purpose: 'Grow revenue',
      purpose_scope: 'General orchestration scope',
    });
  });

  it('keeps an object purpose and defaults only a missing scope', () => {
    expect(parse({ ...minimal, purpose: { purpose: 'P', purpose_scope: 'EMEA' } }).purpose).toEqual({
      purpose: 'P',
      purpose_scope: 'EMEA',
    });
    expect(parse({ ...minimal, purpose: { purpose: 'P' } }).purpose.purpose_scope).toBe(
      'General orchestration scope',
    );
  });

  it('accepts every workflow kind', () => {
    for (const workflow of ['sequential', 'parallel', 'hierarchical', 'collaborative', 'dag']) {
      expect(parse({ ...minimal, workflow }).workflow).toBe(workflow);
    }
    expect(faults({ ...minimal, workflow: 'round-robin' })).toEqual(['workflow']);
  });

  it('treats null optionals as absent, as the Python SDK sends them', () => {
    const parsed = parse({ ...minimal, orchestration_id: null, callback_url: null, mcp_servers: null });
    expect(parsed).not.toHaveProperty('orchestration_id');
    expect(parsed).not.toHaveProperty('callback_url');
    expect(parsed.mcp_servers).toEqual({});
  });

  it('keeps a valid client-chosen orchestration id and rejects a malformed one', () => {
    expect(parse({ ...minimal, orchestration_id: 'run:2024.01_a-b' }).orchestration_id).toBe(
      'run:2024.01_a-b',
    );
    expect(faults({ ...minimal, orchestration_id: 'has space' })).toEqual(['orchestration_id']);
    expect(faults({ ...minimal, orchestration_id: 'x'.repeat(129) })).toEqual(['orchestration_id']);
  });

  it('rejects empty agent_ids', () => {
    expect(faults({ ...minimal, agent_ids: [] })).toEqual(['agent_ids']);
    expect(faults({ purpose: 'P' })).toEqual(['agent_ids']);
  });

  it('rejects invalid and duplicate agent ids, naming the position', () => {
    expect(faults({ ...minimal, agent_ids: ['ok', 'not ok'] })).toEqual(['agent_ids.1']);
    expect(faultMessages({ ...minimal, agent_ids: ['a', 'b', 'a'] })).toEqual({
      'agent_ids.2': 'repeats agent_ids.0',
    });
  });

  it('requires a non-empty purpose', () => {
    expect(faults({ agent_ids: ['a'] })).toEqual(['purpose']);
    expect(faults({ ...minimal, purpose: '   ' })).toEqual(['purpose']);
  });

  it('requires context and config to be objects', () => {
    expect(faults({ ...minimal, context: [1, 2] })).toEqual(['context']);
    expect(faults({ ...minimal, config: 'fast' })).toEqual(['config']);
    expect(parse({ ...minimal, context: { a: 1 } }).context).toEqual({ a: 1 });
  });

  it('accepts http and https callback URLs', () => {
    expect(parse({ ...minimal, callback_url: 'https://example.com/hook?x=1' }).callback_url).toBe(
      'https://example.com/hook?x=1',
    );
    expect(parse({ ...minimal, callback_url: 'http://localhost:8080/cb' }).callback_url).toBe(
      'http://localhost:8080/cb',
    );
  });

  it.each([
    ['ftp://example.com/file', 'must use http or https'],
    ['/relative/path', 'must be an absolute http or https URL'],
    ['example.com/hook', 'must be an absolute http or https URL'],
    ['https://user:pass@example.com/hook', 'must not carry credentials'],
    ['https://token@example.com/hook', 'must not carry credentials'],
    ['https://example.com/hook#section', 'must not have a fragment'],
    ['https://example.com/hook#', 'must not have a fragment'],
    ['javascript:alert(1)', 'must use http or https'],
    [`https://example.com/${'a'.repeat(2048)}`, 'must be at most 2048 characters'],
  ])('rejects the callback URL %s', (url, message) => {
    expect(callbackUrlProblem(url)).toBe(message);
    expect(faultMessages({ ...minimal, callback_url: url })).toEqual({ callback_url: message });
  });

  it('parses mcp_servers and defaults secrets', () => {
    const parsed = parse({
      ...minimal,
      mcp_servers: {
        writer: [{ server_name: 'github', secrets: { token: 's3cret' } }, { server_name: 'jira' }],
      },
    });
    expect(parsed.mcp_servers).toEqual({
      writer: [
        { server_name: 'github', secrets: { token: 's3cret' } },
        { server_name: 'jira', secrets: {} },
      ],
    });
  });

  it('rejects mcp_servers for agents outside agent_ids, repeated servers and non-string secrets', () => {
    expect(faults({ ...minimal, mcp_servers: { reviewer: [{ server_name: 'github' }] } })).toEqual([
      'mcp_servers.reviewer',
    ]);
    expect(
      faults({ ...minimal, mcp_servers: { writer: [{ server_name: 'github' }, { server_name: 'github' }] } }),
    ).toEqual(['mcp_servers.writer.1.server_name']);
    expect(
      faults({ ...minimal, mcp_servers: { writer: [{ server_name: 'github', secrets: { token: 42 } }] } }),
    ).toEqual(['mcp_servers.writer.0.secrets.token']);
  });

  it('never puts secret values in error messages', () => {
    const result = orchestrationRequestSchema.safeParse({
      ...minimal,
      mcp_servers: { writer: [{ server_name: '', secrets: { token: 'TOP-SECRET-VALUE' } }] },
    });
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain('TOP-SECRET-VALUE');
  });

  it('drops unknown top-level members', () => {
    expect(parse({ ...minimal, app_id: 'x' })).not.toHaveProperty('app_id');
  });
});

describe('requestFingerprint', () => {
  const body = {
    agent_ids: ['a', 'b'],
    workflow: 'sequential',
    purpose: { purpose: 'P', purpose_scope: 'S' },
    context: { customer: { id: 1, name: 'Acme' }, region: 'eu' },
    config: { on_failure: 'collect' },
    callback_url: 'https://example.com/cb',
    mcp_servers: { a: [{ server_name: 'github', secrets: { token: 't1', user: 'u' } }] },
  };

  it('is equal for the same request with keys in another order', () => {
    const reordered = {
      mcp_servers: { a: [{ secrets: { user: 'u', token: 't1' }, server_name: 'github' }] },
      config: { on_failure: 'collect' },
      context: { region: 'eu', customer: { name: 'Acme', id: 1 } },
      purpose: { purpose_scope: 'S', purpose: 'P' },
      callback_url: 'https://example.com/cb',
      workflow: 'sequential',
      agent_ids: ['a', 'b'],
    };
    expect(requestFingerprint(parse(reordered))).toBe(requestFingerprint(parse(body)));
  });

  it('is equal when defaults are written out or left implicit', () => {
    expect(requestFingerprint(parse({ agent_ids: ['a'], purpose: 'P' }))).toBe(
      requestFingerprint(
        parse({
          agent_ids: ['a'],
          purpose: { purpose: 'P', purpose_scope: 'General orchestration scope' },
          workflow: 'collaborative',
          context: {},
          config: {},
          mcp_servers: {},
        }),
      ),
    );
  });

  it('ignores the orchestration id, which is the lookup key', () => {
    expect(requestFingerprint(parse({ ...body, orchestration_id: 'x' }))).toBe(
      requestFingerprint(parse(body)),
    );
  });

  it.each([
    ['agent order', { agent_ids: ['b', 'a'] }],
    ['workflow', { workflow: 'parallel' }],
    ['purpose', { purpose: { purpose: 'Q', purpose_scope: 'S' } }],
    ['nested context', { context: { customer: { id: 2, name: 'Acme' }, region: 'eu' } }],
    ['config', { config: { on_failure: 'fail' } }],
    ['callback', { callback_url: 'https://example.com/other' }],
    ['secret names', { mcp_servers: { a: [{ server_name: 'github', secrets: { token: 't1' } }] } }],
  ])('differs when the %s changes', (_name, change) => {
    expect(requestFingerprint(parse({ ...body, ...change }))).not.toBe(requestFingerprint(parse(body)));
  });

  it('never contains secret values', () => {
    const fingerprint = requestFingerprint(parse(body));
    expect(fingerprint).toContain('"token"');
    expect(fingerprint).not.toContain('t1');
  });

  it('covers secret values only through a caller-supplied digest', () => {
    const changed = {
      ...body,
      mcp_servers: { a: [{ server_name: 'github', secrets: { token: 't2', user: 'u' } }] },
    };
    expect(requestFingerprint(parse(changed))).toBe(requestFingerprint(parse(body)));
    const digest = (value: string): string => `len${value.length}:${value.charCodeAt(value.length - 1)}`;
    const withDigest = requestFingerprint(parse(body), { secretDigest: digest });
    expect(requestFingerprint(parse(changed), { secretDigest: digest })).not.toBe(withDigest);
    expect(withDigest).not.toContain('t1');
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: [2, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[2,{"c":2,"d":1}]}');
  });

  it('drops undefined members like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined])).toBe('[null]');
  });
});
