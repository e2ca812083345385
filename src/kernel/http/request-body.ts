import { KernelError } from '../errors';

/**
 * Reading JSON bodies safely: size limit first (413), then content type (415),
 * then syntax (400). Nothing here knows about a host; callers pass bytes.
 */

export function assertDeclaredLength(contentLength: string | null | undefined, limit: number): void {
  if (contentLength === null || contentLength === undefined || contentLength === '') return;
  const declared = Number(contentLength);
  if (Number.isFinite(declared) && declared > limit) throw payloadTooLarge(limit);
}

export function payloadTooLarge(limit: number): KernelError {
  return new KernelError('payload_too_large', 'Payload too large', {
    detail: `The request body is larger than the ${limit} bytes this kernel accepts.`,
    extensions: { max_bytes: limit },
  });
}

function isJsonContentType(contentType: string): boolean {
  const mediaType = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return mediaType === 'application/json' || mediaType.endsWith('+json');
}

/**
 * Parses a JSON body. An empty body parses as `undefined` so the schema decides
 * whether one was required. A missing content type is accepted (curl -d sends
 * form encoding by default, so that one is rejected explicitly with a hint).
 */
export function parseJsonBody(
  bytes: Uint8Array,
  contentType: string | null | undefined,
  limit: number,
): unknown {
  if (bytes.byteLength > limit) throw payloadTooLarge(limit);
  if (bytes.byteLength === 0) return undefined;
  if (contentType && !isJsonContentType(contentType)) {
    throw new KernelError('unsupported_media_type', 'Unsupported media type', {
      detail: `Send the body as application/json (got ${contentType.split(';')[0]}). With curl: -H 'content-type: application/json'.`,
    });
  }
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new KernelError('bad_request', 'Malformed JSON', {
      detail: `The request body is not valid JSON: ${(error as Error).message}`,
      errors: [{ field: '', in: 'body', message: 'not valid JSON', code: 'invalid_json' }],
    });
  }
}
