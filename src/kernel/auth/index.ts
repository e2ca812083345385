/**
 * Auth: who is calling (tokens, API keys) and what they may do (permissions,
 * app isolation, rate limits). Must not import Azure SDKs or outer layers.
 */
export { Authenticator } from './authenticator';
