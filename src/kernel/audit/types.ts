import { z } from 'zod';

/**
 * The audit trail's record shapes. An entry is an event (what happened, to whom,
 * for which app) sealed into a hash chain: each entry carries its sequence number,
 * the previous entry's hash and its own, so removing, reordering or editing an
 * entry breaks every hash after it (see chain.ts).
 *
 * contract.md's AuditEntry fields (`id, event_type, subject_id, subject_type,
 * action, severity, target, context, timestamp`) are all here, snake_case; the
 * chain fields and `app_id` come on top.
 */

export const auditSeverities = ['info', 'warning', 'error', 'critical'] as const;
export type AuditSeverity = (typeof auditSeverities)[number];

/** JSON values, as stored in `context`. */
export type AuditValue =
  string | number | boolean | null | readonly AuditValue[] | { readonly [key: string]: AuditValue };

export type AuditContext = { readonly [key: string]: AuditValue };

/** What a caller records: everything but the id, time and chain fields the trail assigns. */
export interface AuditEvent {
  /** Dotted, lower case: `auth.failed`, `auth.denied`, `auth.key.created`, `agent.call`, … */
  readonly event_type: string;
  /** Who (or what) acted or was acted upon: a principal id, `key:<id>`, an agent id. */
  readonly subject_id: string;
  /** What kind of thing subject_id names: `user`, `app`, `key`, `agent`, `credential`, `anonymous`. */
  readonly subject_type: string;
  /** The verb: `authenticate`, `authorize`, `create`, `revoke`, `call`, … */
  readonly action: string;
  readonly severity: AuditSeverity;
  /** What the action was aimed at (an operation, a key, an orchestration), or null. */
  readonly target: string | null;
  /** Facts about the event. Never secrets or payloads; the trail redacts secret-looking keys anyway. */
  readonly context: AuditContext;
  /** The app the event belongs to (app-bound auditors see only their app's entries); null for kernel-wide. */
  readonly app_id: string | null;
}

export interface AuditEntry extends AuditEvent {
  readonly id: string;
  /** ISO 8601, UTC, milliseconds. */
  readonly timestamp: string;
  /** 1 for the first entry, then +1 for each entry: a gap is a removed entry. */
  readonly sequence: number;
  /** The hash of the entry before (64 zeros for the first). */
  readonly previous_hash: string;
  /** SHA-256 (hex) over the previous hash and this entry's canonical JSON. */
  readonly hash: string;
}

/** The newest entry's position: what the next append links to. */
export interface ChainHead {
  readonly sequence: number;
  readonly hash: string;
}

/** A trail query; all filters are ANDed. Results come newest first. */
export interface AuditQuery {
  /** Inclusive lower bound on `timestamp` (ISO 8601). */
  readonly start_time?: string | undefined;
  /** Inclusive upper bound on `timestamp` (ISO 8601). */
  readonly end_time?: string | undefined;
  readonly event_type?: string | undefined;
  readonly subject_id?: string | undefined;
  /** Restricts to one app's entries (set by the trail from the viewer's binding). */
  readonly app_id?: string | undefined;
  readonly limit: number;
}

export const defaultAuditQueryLimit = 100;
export const maxAuditQueryLimit = 1000;

/** An ISO 8601 date-time; without an offset it is UTC (contract.md: times are UTC), as Python's utcnow().isoformat() sends. */
const instant = z.iso
  .datetime({
    offset: true,
    local: true,
    message: 'must be an ISO 8601 date-time, e.g. 2026-01-31T12:00:00Z',
  })
  .transform((value) =>
    new Date(/(?:[zZ]|[+-]\d{2}:?\d{2})$/.test(value) ? value : `${value}Z`).toISOString(),
  );

/** The query string of GET /api/audit/trail (contract.md: start_time, end_time, event_type, subject_id, limit). */
export const auditTrailQuerySchema = z
  .strictObject({
    start_time: instant.optional(),
    end_time: instant.optional(),
    event_type: z.string().min(1).max(128).optional(),
    subject_id: z.string().min(1).max(256).optional(),
    limit: z.coerce.number().int().min(1).max(maxAuditQueryLimit).default(defaultAuditQueryLimit),
  })
  .refine((query) => !query.start_time || !query.end_time || query.start_time <= query.end_time, {
    message: 'must not be after end_time',
    path: ['start_time'],
  });

export type AuditTrailQuery = z.output<typeof auditTrailQuerySchema>;

/** The query string of GET /api/audit/trail/verify: an optional range of sequence numbers. */
export const auditVerifyQuerySchema = z
  .strictObject({
    from_sequence: z.coerce.number().int().min(1).optional(),
    to_sequence: z.coerce.number().int().min(1).optional(),
  })
  .refine((query) => !query.from_sequence || !query.to_sequence || query.from_sequence <= query.to_sequence, {
    message: 'must not be greater than to_sequence',
    path: ['from_sequence'],
  });

export type AuditVerifyQuery = z.output<typeof auditVerifyQuerySchema>;
