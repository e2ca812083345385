/**
 * The parts of host.json the local runtime honours, parsed into plain values.
 */
import { parseTimeSpanSchedule as parseTimeSpan } from '../timers/ncrontab';

export { parseTimeSpan };

/** host.json `logging.logLevel` values, as the Functions host spells them. */
export const hostLogLevels = [
  'trace',
  'debug',
  'information',
  'warning',
  'error',
  'critical',
  'none',
] as const;
export type HostLogLevel = (typeof hostLogLevels)[number];

/**
 * `logging.logLevel` from host.json: category → least level written. A category
 * takes the rule of its longest matching prefix (`Function.orders` matches
 * `Function.orders.User`), else `default`, else Information, as in the Functions
 * host. Function categories: `Function.<name>` (the Executing/Executed lines) and
 * `Function.<name>.User` (what the function logs).
 */
export class LogLevelRules {
  private readonly rules: readonly [string, number][];
  private readonly fallback: number;

  constructor(levels: Readonly<Record<string, HostLogLevel>> = {}) {
    const entries = Object.entries(levels).map(([category, level]): [string, number] => [
      category.toLowerCase(),
      hostLogLevels.indexOf(level),
    ]);
    this.fallback =
      entries.find(([category]) => category === 'default')?.[1] ?? hostLogLevels.indexOf('information');
    this.rules = entries
      .filter(([category]) => category !== 'default')
      .sort(([a], [b]) => b.length - a.length);
  }

  /** Whether a line of `level` in `category` is written. */
  enabled(category: string, level: Exclude<HostLogLevel, 'none'>): boolean {
    const name = category.toLowerCase();
    const rule = this.rules.find(([prefix]) => name === prefix || name.startsWith(`${prefix}.`));
    return hostLogLevels.indexOf(level) >= (rule?.[1] ?? this.fallback);
  }
}

export interface HostSettings {
  /** Route prefix without slashes; '' means routes sit at the root. */
  readonly routePrefix: string;
  /** Per-invocation timeout in ms, or undefined for none (-1 in host.json). */
  readonly functionTimeoutMs: number | undefined;
  /** `logging.logLevel`: which function log lines are written. */
  readonly logLevels: LogLevelRules;
  /** The untouched document, for later parts of the runtime (durableTask, …). */
  readonly raw: Record<string, unknown>;
}

export class HostJsonError extends Error {}

const defaultTimeoutMs = 30 * 60 * 1000;

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function parseHostJson(raw: unknown): HostSettings {
  const doc = record(raw);
  if (doc === undefined) throw new HostJsonError('host.json must hold a JSON object');
  const http = record(record(doc['extensions'])?.['http']);
  const prefixValue = http?.['routePrefix'];
  if (prefixValue !== undefined && typeof prefixValue !== 'string') {
    throw new HostJsonError('host.json extensions.http.routePrefix must be a string');
  }
  const routePrefix = (prefixValue ?? 'api').replace(/^\/+|\/+$/g, '');

  const timeout = doc['functionTimeout'];
  let functionTimeoutMs: number | undefined = defaultTimeoutMs;
  if (timeout === -1 || timeout === '-1') functionTimeoutMs = undefined;
  else if (typeof timeout === 'string') {
    functionTimeoutMs = parseTimeSpan(timeout);
    if (functionTimeoutMs === undefined) {
      throw new HostJsonError(`host.json functionTimeout '${timeout}' is not a TimeSpan like 00:10:00`);
    }
  } else if (timeout !== undefined) {
    throw new HostJsonError('host.json functionTimeout must be a TimeSpan string like 00:10:00');
  }
  return { routePrefix, functionTimeoutMs, logLevels: parseLogLevels(doc), raw: doc };
}

function parseLogLevels(doc: Record<string, unknown>): LogLevelRules {
  const logging = doc['logging'];
  if (logging === undefined) return new LogLevelRules();
  const levels = record(logging)?.['logLevel'];
  if (levels === undefined) return new LogLevelRules();
  const table = record(levels);
  if (table === undefined) throw new HostJsonError('host.json logging.logLevel must be an object');
  const parsed: Record<string, HostLogLevel> = {};
  for (const [category, value] of Object.entries(table)) {
    const level = typeof value === 'string' ? value.toLowerCase() : undefined;
    if (!hostLogLevels.includes(level as HostLogLevel)) {
      throw new HostJsonError(
        `host.json logging.logLevel.${category} must be one of Trace, Debug, Information, Warning, Error, Critical, None`,
      );
    }
    parsed[category] = level as HostLogLevel;
  }
  return new LogLevelRules(parsed);
}

/** Replaces `%NAME%` with the app setting NAME, as the Functions host does in binding expressions. */
export function resolveAppSettingExpression(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  return value.replace(/%([^%]+)%/g, (whole, name: string) => {
    const setting = env[name];
    if (setting === undefined)
      throw new HostJsonError(`app setting '${name}' referenced as ${whole} is not set`);
    return setting;
  });
}
