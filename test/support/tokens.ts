import { loadOrCreateLocalIssuerKey } from '../../src/host/auth';
import { LocalIssuer } from '../../src/kernel/auth/tokens';
import { projectRoot } from './processes';

/**
 * Tokens from the local issuer the kernel under test trusts (the key in the
 * project's .aos/), so every test calls the API authenticated, as a client would.
 */
let issuer: Promise<LocalIssuer> | undefined;

export async function localToken(
  options: { sub?: string; roles?: readonly string[]; app?: string; ttlSeconds?: number } = {},
): Promise<string> {
  issuer ??= loadOrCreateLocalIssuerKey({ projectRoot, hostKind: 'local-runtime' }).then(({ key }) =>
    LocalIssuer.fromKey(key),
  );
  const { token } = await (
    await issuer
  ).issue({
    sub: options.sub ?? 'test-admin',
    roles: [...(options.roles ?? ['admin', 'approver'])],
    ...(options.app ? { app: options.app } : {}),
    ttlSeconds: options.ttlSeconds ?? 3600,
  });
  return token;
}
