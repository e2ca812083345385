import type { AuditContext, AuditValue } from './types';

/**
 * Defence in depth for `context`: event builders never put secrets there, and
 * this still replaces the value of any key that looks like it holds one, clips
 * long strings and bounds depth and breadth, so one careless caller cannot put a
 * token or a payload into a record that is kept forever.
 */

export const redacted = '[redacted]';

const secretKey =
  /secret|token|password|passwd|authorization|api[-_]?key|credential|signature|cookie|private/i;
const maxString = 512;
const maxItems = 50;
const maxDepth = 4;

function clean(value: unknown, depth: number): AuditValue {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string') return value.length > maxString ? `${value.slice(0, maxString)}…` : value;
  if (typeof value !== 'object' || depth >= maxDepth) return null;
  if (Array.isArray(value)) return value.slice(0, maxItems).map((item) => clean(item, depth + 1));
  const out: Record<string, AuditValue> = {};
  for (const key of Object.keys(value).slice(0, maxItems)) {
    const member = (value as Record<string, unknown>)[key];
    if (member === undefined) continue;
    out[key] = secretKey.test(key) ? redacted : clean(member, depth + 1);
  }
  return out;
}

/** Past this many characters of JSON a context is replaced by a marker (a table cell holds 32K). */
export const maxContextChars = 16 * 1024;

export function redactContext(context: Readonly<Record<string, unknown>>): AuditContext {
  const cleaned = clean(context, 0) as AuditContext;
  const size = JSON.stringify(cleaned).length;
  return size <= maxContextChars ? cleaned : { truncated: true, original_chars: size };
}
