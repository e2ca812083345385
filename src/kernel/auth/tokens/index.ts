/**
 * Auth tokens: bearer-token validation (Microsoft Entra ID v2 and the local issuer),
 * verification-key sets (fixed, or fetched from the IdP with caching and a refresh
 * cool-down), the mapping of verified claims to a Principal, and the local issuer's
 * signing and key-file format. Owns the 401 for a bad token and the audit reason
 * behind it. Must not do file I/O (the host keeps the local key), import Azure SDKs,
 * or decide what a principal may do (that is authorization's job).
 */
export {
  AuthenticationFailure,
  authenticationFailureReasons,
  bearerChallenge,
  isAuthenticationFailure,
  unauthorizedDetail,
} from './authentication-failure';
export type { AuthenticationFailureReason, UnverifiedTokenFacts } from './authentication-failure';
export {
  KeyRing,
  KeysUnavailableError,
  StaticKeySource,
  isTokenAlgorithm,
  tokenAlgorithms,
} from './key-source';
export type { JsonWebKeySetLike, TokenAlgorithm, VerificationKeySource } from './key-source';
export { cachingTokenValidator, tokenCacheDefaults } from './token-cache';
export type { TokenCacheOptions } from './token-cache';
export { RemoteJwksKeySource, checkKeyUrl, discoveryUrlFor, remoteJwksDefaults } from './remote-jwks';
export type { RemoteJwksOptions } from './remote-jwks';
export {
  AppBinding,
  appIdPattern,
  defaultAppClaim,
  identityFromClaims,
  principalFromClaims,
} from './principal';
export type {
  AppBindingOptions,
  ClaimsFault,
  ClaimsIdentity,
  ClaimsResult,
  IdentityResult,
  Principal,
  PrincipalKind,
} from './principal';
export {
  TokenValidator,
  bearerTokenFrom,
  combineTokenValidators,
  defaultClockSkewSeconds,
  maxClockSkewSeconds,
  maxTokenLength,
} from './token-validator';
export type { BearerTokenValidator, TokenValidatorOptions } from './token-validator';
export {
  LocalIssuer,
  LocalIssuerKeyFileError,
  LocalIssuerNotAllowedError,
  assertLocalIssuerAllowed,
  defaultLocalTokenTtlSeconds,
  formatLocalIssuerKeyFile,
  generateLocalIssuerKey,
  localIssuerAudience,
  localIssuerId,
  localIssuerKeyFormat,
  localIssuerValidator,
  maxLocalTokenTtlSeconds,
  parseLocalIssuerKeyFile,
  parseTokenTtl,
} from './local-issuer';
export type {
  IssuedLocalToken,
  LocalIssuerKey,
  LocalTokenRequest,
  LocalValidatorOptions,
} from './local-issuer';
