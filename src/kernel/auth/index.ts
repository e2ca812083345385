/**
 * Auth: who is calling (tokens, API keys, App Service Authentication's client
 * principal when trusted) and what they may do (permissions, app isolation, rate
 * limits). Must not import Azure SDKs or outer layers.
 */
export { Authenticator } from './authenticator';
export type { AuthenticatorOptions } from './authenticator';
export {
  ClientPrincipalRejectedError,
  clientPrincipalHeader,
  decodeClientPrincipal,
  maxClientPrincipalLength,
  principalFromClientPrincipal,
} from './client-principal';
export type { ClientPrincipal } from './client-principal';
