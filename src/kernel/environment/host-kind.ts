/**
 * Where the kernel runs, decided in one place from the environment. Config, health
 * and auth read it from here instead of sniffing variables themselves.
 *
 * - `local-runtime`: this project's own host (`aos host` / `npm start`), which sets
 *   AOS_LOCAL_RUNTIME=1 before loading the app.
 * - `core-tools`: `func start` (Core Tools set FUNCTIONS_CORETOOLS_ENVIRONMENT).
 * - `azure`: an App Service / Functions worker in Azure (WEBSITE_INSTANCE_ID or
 *   WEBSITE_SITE_NAME, which every Functions plan sets). CONTAINER_NAME is not a
 *   sign of Azure: many container sandboxes set it.
 * - `unknown`: a plain Node process, e.g. a unit test importing the kernel.
 */
export type HostKind = 'local-runtime' | 'core-tools' | 'azure' | 'unknown';

export const localRuntimeMarker = 'AOS_LOCAL_RUNTIME';

export function detectHostKind(env: Readonly<Record<string, string | undefined>>): HostKind {
  if (env[localRuntimeMarker] === '1') return 'local-runtime';
  if ((env['FUNCTIONS_CORETOOLS_ENVIRONMENT'] ?? '').toLowerCase() === 'true') return 'core-tools';
  if (env['WEBSITE_INSTANCE_ID'] || env['WEBSITE_SITE_NAME']) return 'azure';
  return 'unknown';
}

export function isLocalHost(kind: HostKind): boolean {
  return kind === 'local-runtime' || kind === 'core-tools' || kind === 'unknown';
}
