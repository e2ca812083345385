import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Callback signing: every POST to a callback_url carries
 * `x-aos-signature: sha256=<hex HMAC-SHA256 of the raw body>` and
 * `x-aos-timestamp`, so receivers can check the sender and reject replays.
 * The signature covers `${timestamp}.${body}`.
 */

export const signatureHeader = 'x-aos-signature';
export const timestampHeader = 'x-aos-timestamp';

export function signCallback(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Constant-time check of a received signature. */
export function verifyCallback(secret: string, timestamp: string, body: string, signature: string): boolean {
  const expected = Buffer.from(signCallback(secret, timestamp, body));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
