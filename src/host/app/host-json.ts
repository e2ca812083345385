/**
 * The parts of host.json the local runtime honours, parsed into plain values.
 */
import { parseTimeSpanSchedule as parseTimeSpan } from '../timers/ncrontab';

export { parseTimeSpan };

export interface HostSettings {
  /** Route prefix without slashes; '' means routes sit at the root. */
  readonly routePrefix: string;
  /** Per-invocation timeout in ms, or undefined for none (-1 in host.json). */
  readonly functionTimeoutMs: number | undefined;
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
  return { routePrefix, functionTimeoutMs, raw: doc };
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
