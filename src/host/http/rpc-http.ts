import type { IncomingHttpHeaders } from 'node:http';
import type { RpcHttpData, RpcTypedData } from '../app/core-types';

/**
 * Pure converters between node:http and the RPC HTTP shape the host sends the
 * worker (and gets back). Each is tested on its own.
 */

export interface IncomingHttp {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly params: Readonly<Record<string, string>>;
  readonly body: Buffer | undefined;
}

/** Header values as the host forwards them: lists joined with ", " (cookies with "; "). */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    flat[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  return flat;
}

/** Query values by name; repeated names are joined with "," as ASP.NET Core's query collection does. */
export function queryRecord(url: URL): Record<string, string> {
  const query: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) query[key] = url.searchParams.getAll(key).join(',');
  return query;
}

export function toRpcHttpRequest(incoming: IncomingHttp): RpcHttpData {
  const url = new URL(incoming.url);
  const data: RpcHttpData = {
    method: incoming.method,
    url: incoming.url,
    headers: flattenHeaders(incoming.headers),
    query: queryRecord(url),
    params: { ...incoming.params },
  };
  if (incoming.body !== undefined && incoming.body.length > 0) data.body = { bytes: incoming.body };
  return data;
}

/** Trigger metadata the host attaches to HTTP invocations (the streaming path reads headers and params from it). */
export function httpTriggerMetadata(incoming: IncomingHttp): Record<string, RpcTypedData> {
  const metadata: Record<string, RpcTypedData> = {
    Headers: { json: JSON.stringify(flattenHeaders(incoming.headers)) },
    Query: { json: JSON.stringify(queryRecord(new URL(incoming.url))) },
  };
  for (const [name, value] of Object.entries(incoming.params)) metadata[name] = { string: value };
  return metadata;
}

export interface OutgoingHttp {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly cookies: readonly string[];
  readonly body: Buffer;
}

interface RpcNullable<T> {
  value?: T | null;
}

interface RpcCookie {
  name?: string;
  value?: string;
  domain?: RpcNullable<string>;
  path?: RpcNullable<string>;
  expires?: RpcNullable<{ seconds?: number | string; nanos?: number }>;
  secure?: RpcNullable<boolean>;
  httpOnly?: RpcNullable<boolean>;
  sameSite?: string;
  maxAge?: RpcNullable<number>;
}

export function serializeRpcCookie(cookie: RpcCookie): string {
  const parts = [`${cookie.name ?? ''}=${encodeURIComponent(cookie.value ?? '')}`];
  if (cookie.domain?.value) parts.push(`Domain=${cookie.domain.value}`);
  if (cookie.path?.value) parts.push(`Path=${cookie.path.value}`);
  const expires = cookie.expires?.value;
  if (expires?.seconds !== undefined)
    parts.push(`Expires=${new Date(Number(expires.seconds) * 1000).toUTCString()}`);
  if (typeof cookie.maxAge?.value === 'number') parts.push(`Max-Age=${Math.trunc(cookie.maxAge.value)}`);
  if (cookie.secure?.value) parts.push('Secure');
  if (cookie.httpOnly?.value) parts.push('HttpOnly');
  switch (cookie.sameSite) {
    case 'lax':
      parts.push('SameSite=Lax');
      break;
    case 'strict':
      parts.push('SameSite=Strict');
      break;
    case 'explicitNone':
      parts.push('SameSite=None');
      break;
    default:
      break;
  }
  return parts.join('; ');
}

export function typedDataToBuffer(data: RpcTypedData | null | undefined): Buffer {
  if (!data) return Buffer.alloc(0);
  if (data.bytes) return Buffer.from(data.bytes);
  if (data.stream) return Buffer.from(data.stream);
  if (typeof data.string === 'string') return Buffer.from(data.string, 'utf8');
  if (typeof data.json === 'string') return Buffer.from(data.json, 'utf8');
  if (typeof data.int === 'number' || typeof data.double === 'number') {
    return Buffer.from(String(data.int ?? data.double), 'utf8');
  }
  return Buffer.alloc(0);
}

/** The host's answer when the function's HTTP output is empty. */
export const emptyResponse: OutgoingHttp = { status: 204, headers: [], cookies: [], body: Buffer.alloc(0) };

export function fromRpcHttpResponse(data: RpcHttpData | null | undefined): OutgoingHttp {
  if (!data) return emptyResponse;
  const status = Number(data.statusCode ?? 200);
  const headers = Object.entries(data.headers ?? {}).map(([name, value]) => [name, String(value)] as const);
  const cookies = ((data.cookies ?? []) as RpcCookie[]).map(serializeRpcCookie);
  return {
    status: Number.isInteger(status) && status >= 100 && status <= 999 ? status : 200,
    headers,
    cookies,
    body: typedDataToBuffer(data.body),
  };
}
