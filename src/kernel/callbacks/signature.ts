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

/**
 * The capability in a reply_url: an agent that answered 202 proves with it that it
 * got the task, without holding kernel credentials of its own.
 */
export function taskReplySignature(secret: string, orchestrationId: string, taskId: string): string {
  return createHmac('sha256', secret).update(`reply:${orchestrationId}:${taskId}`).digest('hex');
}

export function verifyTaskReplySignature(
  secret: string,
  orchestrationId: string,
  taskId: string,
  signature: string,
): boolean {
  const expected = Buffer.from(taskReplySignature(secret, orchestrationId, taskId));
  const actual = Buffer.from(signature);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
