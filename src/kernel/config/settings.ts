import { z } from 'zod';

/**
 * Every app setting the kernel reads, declared once. The config schema, the
 * committed `local.settings.sample.json` and the Bicep app settings are all checked
 * against this list by tests, so a setting cannot exist in one place only.
 */

export interface SettingDescriptor {
  /** The environment variable / app setting name. */
  readonly name: string;
  readonly description: string;
  /** Validates the raw string; absent settings arrive as `undefined`. */
  readonly schema: z.ZodType<unknown, string | undefined>;
  /** The value `local.settings.sample.json` holds (local runtime + Azurite). */
  readonly localValue: string;
  /**
   * Identity-based alternatives (`<Name>__fullyQualifiedNamespace` and the like) that
   * production uses instead of a connection string. They are never in the local sample.
   */
  readonly identityKeys?: readonly string[];
}

const wholeNumber = (min: number, fallback: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .optional()
    .transform((value) => value ?? fallback);

const positiveInt = (fallback: number, max: number) => wholeNumber(1, fallback, max);

/** A comma-separated list; blanks dropped. */
const commaSeparated = z
  .string()
  .optional()
  .transform((value) =>
    (value ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== ''),
  );

/** 'true' or 'false'; absent is false. */
const trueOrFalse = z
  .enum(['true', 'false'], { message: "must be 'true' or 'false'" })
  .optional()
  .transform((value) => value === 'true');

const taskHubName = z
  .string()
  .regex(
    /^[A-Za-z][A-Za-z0-9]{2,44}$/,
    'must start with a letter, hold only letters and digits, and be 3 to 45 characters long',
  );

export const settings = {
  storage: {
    name: 'AzureWebJobsStorage',
    description:
      'Storage for the Functions host, Durable Functions and the kernel. A connection string locally ' +
      '(UseDevelopmentStorage=true means Azurite); identity-based (__accountName or the service URIs) in Azure.',
    schema: z.string().min(1).optional(),
    localValue: 'UseDevelopmentStorage=true',
    identityKeys: [
      'AzureWebJobsStorage__accountName',
      'AzureWebJobsStorage__blobServiceUri',
      'AzureWebJobsStorage__queueServiceUri',
      'AzureWebJobsStorage__tableServiceUri',
      'AzureWebJobsStorage__credential',
      'AzureWebJobsStorage__clientId',
    ],
  },
  workerRuntime: {
    name: 'FUNCTIONS_WORKER_RUNTIME',
    description: 'Always `node`: the Functions host uses it to pick the language worker.',
    schema: z.literal('node', { message: "must be 'node'" }),
    localValue: 'node',
  },
  serviceBus: {
    name: 'ServiceBusConnection',
    description:
      'Service Bus namespace for orchestration requests and results. Identity-based ' +
      '(__fullyQualifiedNamespace) in Azure; locally the local runtime emulates the broker.',
    schema: z.string().min(1).optional(),
    localValue:
      'Endpoint=sb://localhost;SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true',
    identityKeys: [
      'ServiceBusConnection__fullyQualifiedNamespace',
      'ServiceBusConnection__credential',
      'ServiceBusConnection__clientId',
    ],
  },
  taskHub: {
    name: 'AOS_TASK_HUB',
    description: 'Durable Functions task hub name (host.json reads it as %AOS_TASK_HUB%).',
    schema: taskHubName.optional().transform((value) => value ?? 'aoskernel'),
    localValue: 'aoskernellocal',
  },
  maxBodyBytes: {
    name: 'AOS_MAX_BODY_BYTES',
    description: 'Largest request body the kernel accepts, in bytes; larger bodies get 413.',
    schema: positiveInt(1_048_576, 100 * 1024 * 1024),
    localValue: '1048576',
  },
  healthTimeoutMs: {
    name: 'AOS_HEALTH_TIMEOUT_MS',
    description: 'How long the health check waits for each dependency before calling it down, in ms.',
    schema: positiveInt(2_000, 60_000),
    localValue: '2000',
  },
  healthCacheMs: {
    name: 'AOS_HEALTH_CACHE_MS',
    description:
      'How long a health result is reused, in ms; concurrent health requests share one check. 0 checks on every request.',
    schema: wholeNumber(0, 1_000, 60_000),
    localValue: '1000',
  },
  auditCheckpointSchedule: {
    name: 'AOS_AUDIT_CHECKPOINT_SCHEDULE',
    description:
      "NCRONTAB schedule (six fields) of the audit checkpoint: verify what was appended since the last one and log the head's sequence and hash (an anchor outside storage). 'off' disables it.",
    schema: z
      .string()
      .optional()
      .transform((value) => value?.trim() || '0 0 * * * *')
      .refine((value) => value === 'off' || value.split(/\s+/).length === 6, {
        message: "must be an NCRONTAB expression with six fields (e.g. '0 0 * * * *') or 'off'",
      })
      .transform((value) => (value === 'off' ? null : value)),
    localValue: '0 0 * * * *',
  },
  callbackSigningSecret: {
    name: 'AOS_CALLBACK_SIGNING_SECRET',
    description:
      'Key for the HMAC-SHA256 signature on callbacks to callback_url (x-aos-signature). At least 16 characters. ' +
      'In Azure a Key Vault reference; requests with a callback_url are refused while it is unset.',
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    localValue: 'local-development-callback-signing-key',
  },
  extensionPackages: {
    name: 'AOS_EXTENSION_PACKAGES',
    description:
      'Comma-separated npm packages loaded at start-up; each exports register(registry) to add transports, ' +
      'builtin agents, policy rules or MCP tools.',
    schema: commaSeparated,
    localValue: '',
  },
  authIssuers: {
    name: 'AOS_AUTH_ISSUERS',
    description:
      'Comma-separated Entra ID token issuers the kernel trusts, e.g. https://login.microsoftonline.com/<tenant>/v2.0. ' +
      'Empty locally, where the local issuer signs tokens.',
    schema: commaSeparated,
    localValue: '',
  },
  authAudiences: {
    name: 'AOS_AUTH_AUDIENCES',
    description:
      "Comma-separated audiences (the kernel's app ID URI and/or client id) an Entra token must carry.",
    schema: commaSeparated,
    localValue: '',
  },
  authLocalIssuer: {
    name: 'AOS_AUTH_LOCAL_ISSUER',
    description:
      "'true' trusts tokens from the local issuer (key in .aos/, `aos token`). Refused at start-up when running in Azure.",
    schema: trueOrFalse,
    localValue: 'true',
  },
  trustClientPrincipal: {
    name: 'AOS_TRUST_CLIENT_PRINCIPAL',
    description:
      "'true' trusts App Service Authentication (Easy Auth)'s x-ms-client-principal header to say who is calling. " +
      'Only true when the Function App has App Service Authentication enabled (it strips x-ms-* headers that ' +
      'clients send); refused at start-up in Azure while WEBSITE_AUTH_ENABLED is not true.',
    schema: trueOrFalse,
    localValue: 'false',
  },
  rateLimitCapacity: {
    name: 'AOS_RATE_LIMIT_CAPACITY',
    description: 'Requests a principal may make in a burst (token bucket size).',
    schema: positiveInt(60, 1_000_000),
    localValue: '600',
  },
  rateLimitRefillPerSecond: {
    name: 'AOS_RATE_LIMIT_REFILL_PER_SECOND',
    description: 'Requests per second a principal regains (token bucket refill).',
    schema: positiveInt(10, 1_000_000),
    localValue: '100',
  },
  appInsights: {
    name: 'APPLICATIONINSIGHTS_CONNECTION_STRING',
    description: 'Application Insights connection string; empty locally (telemetry goes to the console).',
    schema: z.string().optional(),
    localValue: '',
  },
} as const satisfies Record<string, SettingDescriptor>;

export type SettingKey = keyof typeof settings;

export const settingDescriptors: readonly SettingDescriptor[] = Object.values(settings);

/** Names of every setting and identity alternative the kernel may read. */
export function allSettingNames(): string[] {
  return settingDescriptors.flatMap((descriptor) => [descriptor.name, ...(descriptor.identityKeys ?? [])]);
}

/** The `Values` that `local.settings.sample.json` must hold, exactly. */
export function localSampleValues(): Record<string, string> {
  return Object.fromEntries(settingDescriptors.map((descriptor) => [descriptor.name, descriptor.localValue]));
}
