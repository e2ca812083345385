import type { z } from 'zod';
import type { HostKind } from '../environment';
import { appServiceAuthMarker, detectHostKind, isAppServiceAuthEnabled } from '../environment';
import { settings } from './settings';
import type { StorageConnection } from './storage-connection';
import { StorageConnectionError, parseStorageConnection } from './storage-connection';

export type ServiceBusConnection =
  | { readonly kind: 'connectionString'; readonly connectionString: string; readonly emulated: boolean }
  | { readonly kind: 'identity'; readonly fullyQualifiedNamespace: string; readonly clientId?: string };

/** The kernel's validated configuration, built once per process at cold start. */
export interface KernelConfig {
  readonly host: HostKind;
  readonly storage: StorageConnection;
  readonly serviceBus: ServiceBusConnection | undefined;
  readonly taskHub: string;
  readonly maxBodyBytes: number;
  readonly healthTimeoutMs: number;
  readonly healthCacheMs: number;
  /** NCRONTAB schedule of the audit checkpoint timer; null when off. */
  readonly auditCheckpointSchedule: string | null;
  readonly appInsightsConnectionString: string | undefined;
  readonly callbackSigningSecret: string | undefined;
  readonly extensionPackages: readonly string[];
  readonly auth: {
    readonly issuers: readonly string[];
    readonly audiences: readonly string[];
    readonly localIssuer: boolean;
    /** Whether App Service Authentication's `x-ms-client-principal` header says who is calling. */
    readonly trustClientPrincipal: boolean;
    readonly rateLimit: { readonly capacity: number; readonly refillPerSecond: number };
  };
}

export interface SettingProblem {
  readonly setting: string;
  readonly message: string;
}

/** Start-up stops with this: its message names every setting at fault. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly SettingProblem[]) {
    super(
      `Invalid configuration: ${problems.map((p) => `${p.setting} ${p.message}`).join('; ')}. ` +
        'See local.settings.sample.json and docs/configuration.md.',
    );
  }
}

type Env = Readonly<Record<string, string | undefined>>;

function parseSetting<T>(
  problems: SettingProblem[],
  name: string,
  schema: z.ZodType<T, string | undefined>,
  env: Env,
): T | undefined {
  const raw = env[name];
  const result = schema.safeParse(raw === '' ? undefined : raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  problems.push({
    setting: name,
    message:
      raw === undefined || raw === ''
        ? 'is required but not set'
        : `is invalid: ${issue?.message ?? 'bad value'}`,
  });
  return undefined;
}

function parseServiceBus(env: Env): ServiceBusConnection | undefined {
  const name = settings.serviceBus.name;
  const raw = env[name]?.trim();
  if (raw) {
    return {
      kind: 'connectionString',
      connectionString: raw,
      emulated: /usedevelopmentemulator=true/i.test(raw),
    };
  }
  const fqns = env[`${name}__fullyQualifiedNamespace`]?.trim();
  if (!fqns) return undefined;
  const clientId = env[`${name}__clientId`]?.trim();
  return { kind: 'identity', fullyQualifiedNamespace: fqns, ...(clientId ? { clientId } : {}) };
}

/**
 * Parses the environment once. Throws ConfigError naming each bad or missing
 * setting; never returns a half-valid config.
 */
export function loadConfig(env: Env = process.env): KernelConfig {
  const problems: SettingProblem[] = [];
  const host = detectHostKind(env);

  let storage: StorageConnection | undefined;
  try {
    storage = parseStorageConnection(settings.storage.name, env);
  } catch (error) {
    if (!(error instanceof StorageConnectionError)) throw error;
    problems.push({ setting: error.setting, message: error.message });
  }

  // FUNCTIONS_WORKER_RUNTIME is the host's business; a plain Node process (unit tests) need not set it.
  if (host !== 'unknown')
    parseSetting(problems, settings.workerRuntime.name, settings.workerRuntime.schema, env);
  const taskHub = parseSetting(problems, settings.taskHub.name, settings.taskHub.schema, env);
  const maxBodyBytes = parseSetting(problems, settings.maxBodyBytes.name, settings.maxBodyBytes.schema, env);
  const healthTimeoutMs = parseSetting(
    problems,
    settings.healthTimeoutMs.name,
    settings.healthTimeoutMs.schema,
    env,
  );
  const healthCacheMs = parseSetting(
    problems,
    settings.healthCacheMs.name,
    settings.healthCacheMs.schema,
    env,
  );
  const auditCheckpointSchedule = parseSetting(
    problems,
    settings.auditCheckpointSchedule.name,
    settings.auditCheckpointSchedule.schema,
    env,
  );
  const appInsights = parseSetting(problems, settings.appInsights.name, settings.appInsights.schema, env);
  const callbackSigningSecret = parseSetting(
    problems,
    settings.callbackSigningSecret.name,
    settings.callbackSigningSecret.schema,
    env,
  );
  const extensionPackages = parseSetting(
    problems,
    settings.extensionPackages.name,
    settings.extensionPackages.schema,
    env,
  );

  const issuers = parseSetting(problems, settings.authIssuers.name, settings.authIssuers.schema, env);
  const audiences = parseSetting(problems, settings.authAudiences.name, settings.authAudiences.schema, env);
  const localIssuer = parseSetting(
    problems,
    settings.authLocalIssuer.name,
    settings.authLocalIssuer.schema,
    env,
  );
  const trustClientPrincipal = parseSetting(
    problems,
    settings.trustClientPrincipal.name,
    settings.trustClientPrincipal.schema,
    env,
  );
  const capacity = parseSetting(
    problems,
    settings.rateLimitCapacity.name,
    settings.rateLimitCapacity.schema,
    env,
  );
  const refill = parseSetting(
    problems,
    settings.rateLimitRefillPerSecond.name,
    settings.rateLimitRefillPerSecond.schema,
    env,
  );
  if (localIssuer === true && host === 'azure') {
    problems.push({
      setting: settings.authLocalIssuer.name,
      message: 'must not be true in Azure: the local issuer is for local development only',
    });
  }
  // Only where this project's own tools run it, or where the platform says Easy Auth
  // strips client-sent x-ms-* headers, can the header be trusted. Anywhere else (Azure
  // without Easy Auth, a container whose host cannot be told) it would be forgeable.
  if (
    trustClientPrincipal === true &&
    !isAppServiceAuthEnabled(env) &&
    host !== 'local-runtime' &&
    host !== 'core-tools'
  ) {
    problems.push({
      setting: settings.trustClientPrincipal.name,
      message:
        `must not be true while App Service Authentication is not known to be on (${appServiceAuthMarker} is not true): ` +
        'anyone could send an x-ms-client-principal header and it would be trusted',
    });
  }
  if ((issuers ?? []).length > 0 && (audiences ?? []).length === 0) {
    problems.push({
      setting: settings.authAudiences.name,
      message: 'is required when AOS_AUTH_ISSUERS is set',
    });
  }

  if (problems.length > 0 || storage === undefined) throw new ConfigError(problems);
  return {
    host,
    storage,
    serviceBus: parseServiceBus(env),
    taskHub: taskHub as string,
    maxBodyBytes: maxBodyBytes as number,
    healthTimeoutMs: healthTimeoutMs as number,
    healthCacheMs: healthCacheMs as number,
    auditCheckpointSchedule: auditCheckpointSchedule ?? null,
    appInsightsConnectionString: appInsights === '' ? undefined : appInsights,
    callbackSigningSecret,
    extensionPackages: extensionPackages ?? [],
    auth: {
      issuers: issuers ?? [],
      audiences: audiences ?? [],
      localIssuer: localIssuer ?? false,
      trustClientPrincipal: trustClientPrincipal ?? false,
      rateLimit: { capacity: capacity as number, refillPerSecond: refill as number },
    },
  };
}
