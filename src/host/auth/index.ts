/**
 * Host auth: the local issuer's key file under `.aos/` and the `aos token` command.
 * Owns file I/O and command-line parsing only; token signing and validation rules
 * live in src/kernel/auth/tokens. Never used in Azure (the kernel's guard refuses).
 */
export {
  loadOrCreateLocalIssuerKey,
  localIssuerKeyFileName,
  localIssuerKeyPath,
  openLocalIssuer,
} from './local-issuer-store';
export type { LocalIssuerStoreOptions, StoredLocalIssuerKey } from './local-issuer-store';
export { runTokenCommand, tokenCommandUsage } from './token-command';
export type { TokenCommandOptions } from './token-command';
