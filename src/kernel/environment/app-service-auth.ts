/**
 * Whether App Service Authentication (Easy Auth) sits in front of this app. App
 * Service sets WEBSITE_AUTH_ENABLED=True when it is on; only then does the platform
 * strip the `x-ms-client-principal` header that clients send, so only then can the
 * header be trusted. Config reads this to refuse AOS_TRUST_CLIENT_PRINCIPAL without it.
 */
export const appServiceAuthMarker = 'WEBSITE_AUTH_ENABLED';

export function isAppServiceAuthEnabled(env: Readonly<Record<string, string | undefined>>): boolean {
  return (env[appServiceAuthMarker] ?? '').trim().toLowerCase() === 'true';
}
