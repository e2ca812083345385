/**
 * Access: what an authenticated principal may do. Owns the Principal shape, the
 * one permission table (roles, scopes, operations), app isolation, API keys (the
 * service and its store port) and per-principal rate limits. Must not validate
 * tokens (kernel/auth/tokens does), touch HTTP hosts, or import Azure SDKs;
 * storage is behind the ApiKeyStore port.
 */
export { isKernelWide, principalKinds } from './principal';
export type { Principal, PrincipalKind } from './principal';
export {
  authorize,
  authorizeOperation,
  fullAccessScope,
  hasPermission,
  operationNames,
  permissionFor,
  permissionTable,
  permissionTableMarkdown,
  permissions,
  permissionsOf,
  permissionsOfRole,
  permissionsOfScope,
  publicOperations,
  roles,
  scopes,
} from './permissions';
export type { OperationName, Permission, PublicOperation, Role, Scope } from './permissions';
export { appFilterFor, assertVisible, owningAppFor, visibleTo } from './app-scope';
export type { AppFilter } from './app-scope';
export {
  ApiKeyRejectedError,
  ApiKeyService,
  apiKeyPrefix,
  apiKeyRejectionOf,
  apiKeyStorageNames,
  createApiKeyInputSchema,
  credentialFrom,
  parseApiKey,
} from './api-keys';
export type {
  ApiKeyListFilter,
  ApiKeyRecord,
  ApiKeyRejection,
  ApiKeyRejectionReason,
  ApiKeyServiceOptions,
  ApiKeyStatus,
  ApiKeyStore,
  ApiKeyView,
  CreateApiKeyInput,
  CreatedApiKey,
  Credential,
  StoredApiKey,
} from './api-keys';
export { RateLimiter, enforceRateLimit, rateLimitedError } from './rate-limiter';
export type { RateDecision, RateLimiterOptions } from './rate-limiter';
