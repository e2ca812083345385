import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { KernelError, validationError } from '../../errors';
import { appFilterFor, owningAppFor, visibleTo } from './app-scope';
import type { Role } from './permissions';
import { authorize, permissionsOf, permissionsOfRole, roles as knownRoles } from './permissions';
import type { Principal } from './principal';

/**
 * API keys: long-lived credentials for callers that cannot get an Entra ID token
 * (scripts, other clouds, local tools). A key is `aos_<key_id>_<secret>`; the
 * kernel keeps only a salted HMAC-SHA256 of it, so the store never holds anything
 * that authenticates. The secret is shown once, when the key is created.
 *
 * Why HMAC and not scrypt: the secret is 32 random bytes, so there is no dictionary
 * to slow down; a deliberately slow hash would cost CPU on every request and buy
 * nothing. The per-key salt (and the key id inside the MAC) means a stored hash is
 * useless for any other key or store.
 */

/** The table TableApiKeyStore uses; infra and config/resource-names must declare it too. */
export const apiKeyStorageNames = {
  apiKeysTable: 'apikeys',
} as const;

export const apiKeyPrefix = 'aos_';
const keyIdBytes = 10;
const secretBytes = 32;
const saltBytes = 16;
const keyIdPattern = /^[0-9a-f]{20}$/;
const apiKeyPattern = /^aos_([0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;
const defaultLastUsedIntervalMs = 60_000;

/** What a caller may see of a key: never the secret, never its hash. */
export interface ApiKeyRecord {
  readonly key_id: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** The app the key acts for; null for a kernel-wide key. */
  readonly app_id: string | null;
  readonly created_at: string;
  /** The id of the principal that created the key. */
  readonly created_by: string;
  readonly expires_at: string | null;
  readonly revoked_at: string | null;
  readonly last_used_at: string | null;
}

export type ApiKeyStatus = 'active' | 'expired' | 'revoked';

export interface ApiKeyView extends ApiKeyRecord {
  readonly status: ApiKeyStatus;
}

/** What the store holds: the record plus the salted hash of the secret. */
export interface StoredApiKey extends ApiKeyRecord {
  readonly hash_algorithm: 'hmac-sha256';
  /** base64url of the per-key salt. */
  readonly salt: string;
  /** base64url of HMAC-SHA256(salt, `<key_id>.<secret>`). */
  readonly secret_hash: string;
}

export interface ApiKeyListFilter {
  /** Only keys of this app; null: only kernel-wide keys; absent: all. */
  readonly app_id?: string | null;
}

/** Where keys live. Memory in tests and the embedded default; Azure Tables in Azure. */
export interface ApiKeyStore {
  /** Adds a new key. A key_id already present is a conflict (KernelError 'conflict'). */
  insert(key: StoredApiKey): Promise<void>;
  get(keyId: string): Promise<StoredApiKey | undefined>;
  list(filter?: ApiKeyListFilter): Promise<StoredApiKey[]>;
  /** Sets revoked_at and nothing else (a concurrent last-used write must not undo it); false if absent. */
  markRevoked(keyId: string, revokedAt: string): Promise<boolean>;
  /** Sets last_used_at and nothing else; does nothing if the key is gone. */
  markUsed(keyId: string, usedAt: string): Promise<void>;
}

const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

export const createApiKeyInputSchema = z.strictObject({
  name: nameSchema,
  roles: z.array(z.enum(knownRoles)).min(1).max(20),
  app_id: z
    .string()
    .regex(/^[A-Za-z0-9._:-]{1,128}$/)
    .nullable()
    .optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

export type CreateApiKeyInput = z.input<typeof createApiKeyInputSchema>;

export interface CreatedApiKey {
  readonly key_id: string;
  /** The whole key. Returned here once; the kernel cannot show it again. */
  readonly secret: string;
  readonly record: ApiKeyView;
}

/** Why a presented key was refused. Callers all get the same 401; this is for the audit trail. */
export type ApiKeyRejectionReason = 'malformed' | 'unknown_key' | 'wrong_secret' | 'expired' | 'revoked';

export interface ApiKeyRejection {
  readonly reason: ApiKeyRejectionReason;
  /** The key id the caller presented, when the key had one. */
  readonly key_id: string | null;
  readonly at: string;
}

/** The `cause` of the 401 for a refused key: the reason, kept out of the problem body. */
export class ApiKeyRejectedError extends Error {
  override readonly name = 'ApiKeyRejectedError';
  constructor(readonly rejection: ApiKeyRejection) {
    super(`API key rejected: ${rejection.reason}`);
  }
}

/** The recorded reason behind a 401 from ApiKeyService.authenticate, if that is what the error is. */
export function apiKeyRejectionOf(error: unknown): ApiKeyRejection | undefined {
  if (!(error instanceof KernelError)) return undefined;
  return error.cause instanceof ApiKeyRejectedError ? error.cause.rejection : undefined;
}

export interface ApiKeyServiceOptions {
  readonly store: ApiKeyStore;
  readonly now?: () => Date;
  /** Called for every refused key (audit); must not throw. */
  readonly onRejected?: (rejection: ApiKeyRejection) => void;
  /** Least time between two last_used_at writes for one key (default one minute). */
  readonly lastUsedIntervalMs?: number;
}

/** Splits `aos_<key_id>_<secret>`; undefined for anything else. */
export function parseApiKey(value: string): { key_id: string; secret: string } | undefined {
  const match = apiKeyPattern.exec(value);
  return match?.[1] === undefined || match[2] === undefined
    ? undefined
    : { key_id: match[1], secret: match[2] };
}

function hashSecret(salt: Buffer, keyId: string, secret: string): Buffer {
  return createHmac('sha256', salt).update(`${keyId}.${secret}`).digest();
}

/** Hashing a dummy key for an unknown id keeps its timing close to a wrong secret's. */
const dummySalt = randomBytes(saltBytes);

function statusOf(record: ApiKeyRecord, now: Date): ApiKeyStatus {
  if (record.revoked_at !== null) return 'revoked';
  if (record.expires_at !== null && Date.parse(record.expires_at) <= now.getTime()) return 'expired';
  return 'active';
}

function publicRecord(key: StoredApiKey): ApiKeyRecord {
  // Listed field by field so a field added to the stored shape is never exposed by accident.
  return {
    key_id: key.key_id,
    name: key.name,
    roles: [...key.roles],
    app_id: key.app_id,
    created_at: key.created_at,
    created_by: key.created_by,
    expires_at: key.expires_at,
    revoked_at: key.revoked_at,
    last_used_at: key.last_used_at,
  };
}

function unauthorized(rejection: ApiKeyRejection): KernelError {
  return new KernelError('unauthorized', 'Unauthorized', {
    detail: 'The API key is not valid.',
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    cause: new ApiKeyRejectedError(rejection),
  });
}

export class ApiKeyService {
  private readonly store: ApiKeyStore;
  private readonly now: () => Date;
  private readonly lastUsedIntervalMs: number;

  constructor(private readonly options: ApiKeyServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? (() => new Date());
    this.lastUsedIntervalMs = Math.max(0, options.lastUsedIntervalMs ?? defaultLastUsedIntervalMs);
  }

  /**
   * Creates a key for the creator to hand out. The key's roles may not grant more
   * than the creator may do (scopes included), and an app-bound creator creates
   * keys only for its own app.
   */
  async create(input: unknown, creator: Principal): Promise<CreatedApiKey> {
    authorize(creator, 'keys:manage');
    const parsed = createApiKeyInputSchema.safeParse(input);
    if (!parsed.success) throw validationError(parsed.error, 'body');
    const now = this.now();
    const { name, expires_at: expiresAt } = parsed.data;
    const keyRoles = [...new Set(parsed.data.roles)];
    const appId = owningAppFor(creator, parsed.data.app_id);
    this.assertWithinCeiling(keyRoles, creator);
    if (expiresAt != null && Date.parse(expiresAt) <= now.getTime()) {
      throw KernelError.validation([{ field: 'expires_at', in: 'body', message: 'must be in the future' }]);
    }

    const keyId = randomBytes(keyIdBytes).toString('hex');
    const secret = randomBytes(secretBytes).toString('base64url');
    const salt = randomBytes(saltBytes);
    const stored: StoredApiKey = {
      key_id: keyId,
      name,
      roles: keyRoles,
      app_id: appId,
      created_at: now.toISOString(),
      created_by: creator.id,
      expires_at: expiresAt == null ? null : new Date(expiresAt).toISOString(),
      revoked_at: null,
      last_used_at: null,
      hash_algorithm: 'hmac-sha256',
      salt: salt.toString('base64url'),
      secret_hash: hashSecret(salt, keyId, secret).toString('base64url'),
    };
    await this.store.insert(stored);
    return { key_id: keyId, secret: `${apiKeyPrefix}${keyId}_${secret}`, record: this.view(stored, now) };
  }

  /**
   * A role "exceeds" the creator's when it grants a permission the creator does
   * not hold: an admin may hand out `reader`, but not `approver` (no admin can
   * approve), and a delegated creator is held to what its scopes allow.
   */
  private assertWithinCeiling(keyRoles: readonly Role[], creator: Principal): void {
    const held = permissionsOf(creator);
    const excess = keyRoles.filter((role) =>
      permissionsOfRole(role).some((permission) => !held.has(permission)),
    );
    if (excess.length === 0) return;
    const missing = [
      ...new Set(
        excess.flatMap((role) => permissionsOfRole(role).filter((permission) => !held.has(permission))),
      ),
    ];
    throw new KernelError('forbidden', 'Forbidden', {
      detail:
        `A key cannot have the role${excess.length === 1 ? '' : 's'} ${excess.map((r) => `'${r}'`).join(', ')}: ` +
        `${excess.length === 1 ? 'it grants' : 'they grant'} ${missing.map((p) => `'${p}'`).join(', ')}, which its creator does not hold.`,
      extensions: { missing_permissions: missing },
    });
  }

  /**
   * The principal a presented key stands for. Every refusal (malformed, unknown
   * id, wrong secret, expired, revoked) is the same 401; the reason goes to
   * `onRejected` and rides on the error's cause (see apiKeyRejectionOf).
   */
  async authenticate(presented: string): Promise<Principal> {
    const now = this.now();
    const reject = (reason: ApiKeyRejectionReason, keyId: string | null): KernelError => {
      const rejection: ApiKeyRejection = { reason, key_id: keyId, at: now.toISOString() };
      try {
        this.options.onRejected?.(rejection);
      } catch {
        // Recording a refusal must never turn it into a 500 or let the key through.
      }
      return unauthorized(rejection);
    };

    const parts = parseApiKey(presented.trim());
    if (parts === undefined) throw reject('malformed', null);
    const stored = await this.store.get(parts.key_id);
    const salt = stored === undefined ? dummySalt : Buffer.from(stored.salt, 'base64url');
    const actual = hashSecret(salt, parts.key_id, parts.secret);
    if (stored === undefined) throw reject('unknown_key', parts.key_id);
    const expected = Buffer.from(stored.secret_hash, 'base64url');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      throw reject('wrong_secret', parts.key_id);
    }
    const status = statusOf(stored, now);
    if (status !== 'active') throw reject(status, parts.key_id);

    await this.touch(stored, now);
    return {
      id: `key:${stored.key_id}`,
      // Prefixed so a key can never pass for a person's name (approver lists hold names).
      name: `key:${stored.name}`,
      kind: 'key',
      roles: [...stored.roles],
      scopes: [],
      app_id: stored.app_id,
    };
  }

  private async touch(stored: StoredApiKey, now: Date): Promise<void> {
    const last = stored.last_used_at === null ? undefined : Date.parse(stored.last_used_at);
    if (last !== undefined && now.getTime() - last < this.lastUsedIntervalMs) return;
    try {
      await this.store.markUsed(stored.key_id, now.toISOString());
    } catch {
      // Bookkeeping: a failed write must not fail the caller's request.
    }
  }

  /** Revokes a key (kept, for the audit trail). Another app's key answers 404 like a missing one. */
  async revoke(keyId: string, actor: Principal): Promise<ApiKeyView> {
    authorize(actor, 'keys:manage');
    const what = `API key '${keyId}'`;
    const stored = keyIdPattern.test(keyId) ? await this.store.get(keyId) : undefined;
    if (stored === undefined || !visibleTo(actor, stored.app_id)) throw KernelError.notFound(what);
    const now = this.now();
    if (stored.revoked_at !== null) return this.view(stored, now);
    const revokedAt = now.toISOString();
    if (!(await this.store.markRevoked(keyId, revokedAt))) throw KernelError.notFound(what);
    return this.view({ ...stored, revoked_at: revokedAt }, now);
  }

  /** The keys the viewer may see, newest first, without secrets or hashes. */
  async list(filter: ApiKeyListFilter, viewer: Principal): Promise<ApiKeyView[]> {
    authorize(viewer, 'keys:manage');
    const scope = appFilterFor(viewer, filter.app_id);
    if (scope.kind === 'none') return [];
    const keys = await this.store.list(scope.kind === 'all' ? {} : { app_id: scope.app_id });
    const now = this.now();
    return keys
      .filter((key) => visibleTo(viewer, key.app_id))
      .map((key) => this.view(key, now))
      .sort((a, b) => b.created_at.localeCompare(a.created_at) || a.key_id.localeCompare(b.key_id));
  }

  private view(key: StoredApiKey, now: Date): ApiKeyView {
    const record = publicRecord(key);
    return { ...record, status: statusOf(record, now) };
  }
}

/** A credential found on a request. */
export interface Credential {
  readonly kind: 'bearer' | 'api_key';
  readonly value: string;
}

/**
 * The credential a request carries: `Authorization: Bearer <token or key>` or
 * `x-api-key: <key>`. A bearer value with the `aos_` prefix is an API key;
 * anything else is a token for the token validator. Undefined when there is none
 * (or only some other scheme, such as Basic). Two different credentials at once
 * are refused (400), since picking one would hide a client's mistake.
 */
export function credentialFrom(headers: { get(name: string): string | null }): Credential | undefined {
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(headers.get('authorization')?.trim() ?? '')?.[1];
  const fromAuthorization: Credential | undefined =
    bearer === undefined
      ? undefined
      : { kind: bearer.startsWith(apiKeyPrefix) ? 'api_key' : 'bearer', value: bearer };
  const apiKey = headers.get('x-api-key')?.trim();
  const fromApiKey: Credential | undefined =
    apiKey === undefined || apiKey === '' ? undefined : { kind: 'api_key', value: apiKey };
  if (fromAuthorization !== undefined && fromApiKey !== undefined && fromAuthorization.value !== apiKey) {
    throw new KernelError('bad_request', 'Ambiguous credentials', {
      detail: 'Send either an Authorization header or an x-api-key header, not two different credentials.',
    });
  }
  return fromAuthorization ?? fromApiKey;
}
