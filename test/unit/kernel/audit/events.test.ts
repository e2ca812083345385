import { describe, expect, it } from 'vitest';
import { MemoryApiKeyStore } from '../../../../src/adapters/memory';
import { accessRefusalEvent, agentCallEvent, apiKeyCreatedEvent } from '../../../../src/kernel/audit';
import { decodeClientPrincipal } from '../../../../src/kernel/auth';
import { ApiKeyService, authorizeOperation } from '../../../../src/kernel/auth/access';
import { AuthenticationFailure } from '../../../../src/kernel/auth/tokens';
import { KernelError } from '../../../../src/kernel/errors';
import type { AccessRefusal } from '../../../../src/kernel/http';
import { principal } from '../auth/access/principals';

function refusal(error: unknown, overrides: Partial<AccessRefusal> = {}): AccessRefusal {
  return {
    operation: 'orchestrations_list',
    method: 'GET',
    path: '/api/orchestrations',
    principal: undefined,
    error: error as KernelError,
    forwarded_for: '203.0.113.7, 10.0.0.1',
    ...overrides,
  };
}

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('accessRefusalEvent', () => {
  it('records a refused token with the reason and what it claimed, never the token', () => {
    const failure = new AuthenticationFailure('wrong_issuer', {
      iss: 'https://evil.example',
      kid: 'k1',
      alg: 'RS256',
    });
    expect(accessRefusalEvent(refusal(failure))).toEqual({
      event_type: 'auth.failed',
      subject_id: 'unknown',
      subject_type: 'token',
      action: 'authenticate',
      severity: 'warning',
      target: 'orchestrations_list',
      app_id: null,
      context: {
        operation: 'orchestrations_list',
        method: 'GET',
        path: '/api/orchestrations',
        forwarded_for: '203.0.113.7, 10.0.0.1',
        presented: 'token',
        reason: 'wrong_issuer',
        claimed_issuer: 'https://evil.example',
        key_id: 'k1',
        alg: 'RS256',
      },
    });
  });

  it('records a refused API key by its id and reason, never its secret', async () => {
    const service = new ApiKeyService({ store: new MemoryApiKeyStore() });
    const created = await service.create({ name: 'ci', roles: ['reader'] }, principal({ roles: ['admin'] }));
    await service.revoke(created.key_id, principal({ roles: ['admin'] }));
    const error = await service.authenticate(created.secret).catch((caught: unknown) => caught);
    const event = accessRefusalEvent(refusal(error));
    expect(event).toMatchObject({
      event_type: 'auth.failed',
      subject_id: `key:${created.key_id}`,
      subject_type: 'api_key',
      context: { presented: 'api_key', reason: 'revoked' },
    });
    expect(JSON.stringify(event)).not.toContain(created.secret.slice(-20));
  });

  it('records a refused client principal as such, with the check that failed and none of the header', () => {
    const header = Buffer.from('{"claims": "not-a-list", "secret": "s3cr3t"}').toString('base64');
    const error = thrown(() => decodeClientPrincipal(header));
    const event = accessRefusalEvent(refusal(error));
    expect(event).toMatchObject({
      event_type: 'auth.failed',
      subject_type: 'client_principal',
      context: { presented: 'client_principal', reason: 'malformed', detail: 'not a client principal' },
    });
    expect(JSON.stringify(event)).not.toContain('s3cr3t');
    expect(JSON.stringify(event)).not.toContain(header);
  });

  it('records a request without credentials as anonymous', () => {
    const error = thrown(() => authorizeOperation(undefined, 'orchestrations_list'));
    expect(accessRefusalEvent({ ...refusal(error), forwarded_for: '' })).toMatchObject({
      subject_id: 'anonymous',
      subject_type: 'anonymous',
      context: { presented: 'none', reason: 'missing' },
    });
  });

  it('records a 403 against the principal, with the missing permission and its app', () => {
    const who = principal({ id: 'p-9', name: 'reader@contoso.example', roles: ['reader'], app_id: 'app-a' });
    const error = thrown(() => authorizeOperation(who, 'auth_keys_create'));
    expect(
      accessRefusalEvent(refusal(error, { principal: who, operation: 'auth_keys_create' })),
    ).toMatchObject({
      event_type: 'auth.denied',
      subject_id: 'p-9',
      subject_type: 'app',
      action: 'authorize',
      target: 'auth_keys_create',
      app_id: 'app-a',
      context: { missing_permission: 'keys:manage', principal_name: 'reader@contoso.example' },
    });
  });

  it("leaves a policy's refusal of an agent call to the agent.call entry", () => {
    const who = principal({ id: 'p-9', roles: ['agent'] });
    const denied = new KernelError('forbidden', 'Agent call failed', { extensions: { denied_by: 'policy' } });
    expect(accessRefusalEvent(refusal(denied, { principal: who }))).toBeUndefined();
  });

  it('ignores errors that are not refusals', () => {
    expect(
      accessRefusalEvent(refusal(new KernelError('bad_request', 'Ambiguous credentials'))),
    ).toBeUndefined();
    expect(accessRefusalEvent(refusal(new Error('boom')))).toBeUndefined();
  });
});

describe('key and agent events', () => {
  it('records key creation against the actor, with the key id and no secret', async () => {
    const service = new ApiKeyService({ store: new MemoryApiKeyStore() });
    const admin = principal({ id: 'p-admin', roles: ['admin'] });
    const created = await service.create({ name: 'ci', roles: ['reader'], app_id: 'app-a' }, admin);
    const event = apiKeyCreatedEvent(admin, created.record);
    expect(event).toMatchObject({
      event_type: 'auth.key.created',
      subject_id: 'p-admin',
      target: `key:${created.key_id}`,
      app_id: 'app-a',
      context: { name: 'ci', roles: ['reader'], key_app_id: 'app-a' },
    });
    expect(JSON.stringify(event)).not.toContain(created.secret);
  });

  it('maps an executor record, outcome to severity', () => {
    const event = agentCallEvent({
      event_type: 'agent.call',
      subject_id: 'summariser',
      subject_type: 'agent',
      action: 'call',
      app_id: 'app-a',
      agent_app_id: null,
      outcome: 'failed',
      task_id: 't-1',
      orchestration_id: 'o-1',
      step: 'summarise',
      transport: 'http',
      duration_ms: 12,
      attempts: 3,
      error_code: 'timeout',
      timestamp: '2026-01-01T00:00:00.000Z',
    });
    expect(event).toMatchObject({
      event_type: 'agent.call',
      severity: 'error',
      target: 'o-1',
      app_id: 'app-a',
      context: { outcome: 'failed', attempts: 3, error_code: 'timeout', transport: 'http' },
    });
  });
});
