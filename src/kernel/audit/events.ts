import type { ApiKeyView, Principal } from '../auth/access';
import { ClientPrincipalRejectedError } from '../auth';
import { apiKeyRejectionOf } from '../auth/access';
import { isAuthenticationFailure } from '../auth/tokens';
import { KernelError } from '../errors';
import type { AgentCallAuditRecord } from '../executor';
import type { AccessRefusal } from '../http';
import type { AuditEvent, AuditSeverity } from './types';

/**
 * The kernel's audit events, built in one place so every record of a kind has
 * the same shape. Builders take facts the kernel already has and add nothing
 * secret: no token, no key secret, no request or agent payload ever reaches them.
 */

export const auditEventTypes = {
  /** A request whose credential was missing or refused (401). */
  authFailed: 'auth.failed',
  /** An authenticated caller without the permission the operation needs (403). */
  authDenied: 'auth.denied',
  keyCreated: 'auth.key.created',
  keyRevoked: 'auth.key.revoked',
  agentCall: 'agent.call',
} as const;

/**
 * The `x-forwarded-for` header as received, clipped. Not called a client IP: a
 * client can put any address first, and only the hops the platform's front ends
 * appended (the last ones) are theirs; which those are depends on what sits in
 * front of the app, so the investigator reads the whole list.
 */
function forwardedFor(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed === undefined || trimmed === '' ? undefined : trimmed.slice(0, 256);
}

function requestFacts(refusal: AccessRefusal): Record<string, string> {
  const forwarded = forwardedFor(refusal.forwarded_for);
  return {
    operation: refusal.operation,
    method: refusal.method,
    path: refusal.path.slice(0, 256),
    ...(forwarded === undefined ? {} : { forwarded_for: forwarded }),
  };
}

/**
 * The record of a refused request, or undefined when the error is not a refusal
 * (a 400 for ambiguous credentials, a storage failure while authenticating).
 */
export function accessRefusalEvent(refusal: AccessRefusal): AuditEvent | undefined {
  const { error, principal } = refusal;
  if (!(error instanceof KernelError)) return undefined;
  // A governance policy refusing an agent call is audited as that call (agent.call, denied).
  if (error.extensions['denied_by'] === 'policy') return undefined;
  if (error.status === 403 && principal !== undefined) {
    const missing = error.extensions['missing_permission'];
    return {
      event_type: auditEventTypes.authDenied,
      subject_id: principal.id,
      subject_type: principal.kind,
      action: 'authorize',
      severity: 'warning',
      target: refusal.operation,
      context: {
        ...requestFacts(refusal),
        principal_name: principal.name,
        ...(typeof missing === 'string' ? { missing_permission: missing } : {}),
      },
      app_id: principal.app_id,
    };
  }
  if (error.status !== 401) return undefined;
  const base = {
    event_type: auditEventTypes.authFailed,
    action: 'authenticate',
    severity: 'warning' as AuditSeverity,
    target: refusal.operation,
    app_id: null,
  };
  const rejection = apiKeyRejectionOf(error);
  if (rejection !== undefined) {
    return {
      ...base,
      subject_id: rejection.key_id === null ? 'unknown' : `key:${rejection.key_id}`,
      subject_type: 'api_key',
      context: { ...requestFacts(refusal), presented: 'api_key', reason: rejection.reason },
    };
  }
  if (isAuthenticationFailure(error) && error.cause instanceof ClientPrincipalRejectedError) {
    return {
      ...base,
      subject_id: 'unknown',
      subject_type: 'client_principal',
      context: {
        ...requestFacts(refusal),
        presented: 'client_principal',
        reason: error.reason,
        // Which check failed ('not base64', "missing_claim 'sub'", …): no header content.
        detail: error.cause.why,
      },
    };
  }
  if (isAuthenticationFailure(error)) {
    return {
      ...base,
      subject_id: 'unknown',
      subject_type: 'token',
      context: {
        ...requestFacts(refusal),
        presented: 'token',
        reason: error.reason,
        // Read before verification: what the caller claimed, clipped, for the investigator.
        ...(error.unverified.iss === undefined ? {} : { claimed_issuer: error.unverified.iss }),
        ...(error.unverified.kid === undefined ? {} : { key_id: error.unverified.kid }),
        ...(error.unverified.alg === undefined ? {} : { alg: error.unverified.alg }),
      },
    };
  }
  return {
    ...base,
    subject_id: 'anonymous',
    subject_type: 'anonymous',
    context: { ...requestFacts(refusal), presented: 'none', reason: 'missing' },
  };
}

function keyFacts(key: ApiKeyView): Record<string, string | readonly string[] | null> {
  return {
    name: key.name,
    roles: [...key.roles],
    key_app_id: key.app_id,
    expires_at: key.expires_at,
  };
}

function keyEvent(eventType: string, action: string, actor: Principal, key: ApiKeyView): AuditEvent {
  return {
    event_type: eventType,
    subject_id: actor.id,
    subject_type: actor.kind,
    action,
    severity: 'info',
    target: `key:${key.key_id}`,
    context: { actor_name: actor.name, ...keyFacts(key) },
    app_id: key.app_id,
  };
}

export function apiKeyCreatedEvent(actor: Principal, key: ApiKeyView): AuditEvent {
  return keyEvent(auditEventTypes.keyCreated, 'create', actor, key);
}

export function apiKeyRevokedEvent(actor: Principal, key: ApiKeyView): AuditEvent {
  return keyEvent(auditEventTypes.keyRevoked, 'revoke', actor, key);
}

const callSeverity: Record<AgentCallAuditRecord['outcome'], AuditSeverity> = {
  succeeded: 'info',
  pending: 'info',
  denied: 'warning',
  failed: 'error',
};

/** An executor record (who was called, how it ended) as a trail event. */
export function agentCallEvent(record: AgentCallAuditRecord): AuditEvent {
  return {
    event_type: auditEventTypes.agentCall,
    subject_id: record.subject_id,
    subject_type: record.subject_type,
    action: record.action,
    severity: callSeverity[record.outcome],
    target: record.orchestration_id ?? record.task_id,
    context: {
      outcome: record.outcome,
      task_id: record.task_id,
      orchestration_id: record.orchestration_id,
      step: record.step,
      transport: record.transport,
      agent_app_id: record.agent_app_id,
      duration_ms: record.duration_ms,
      attempts: record.attempts,
      ...(record.error_code === undefined ? {} : { error_code: record.error_code }),
      ...(record.reason === undefined ? {} : { reason: record.reason }),
    },
    app_id: record.app_id,
  };
}
