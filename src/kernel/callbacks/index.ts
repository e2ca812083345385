/**
 * Callbacks: signed status notifications to a request's callback_url. Owns the
 * signature format and delivery of one attempt; retries belong to the caller.
 */
export {
  signCallback,
  verifyCallback,
  signatureHeader,
  timestampHeader,
  taskReplySignature,
  verifyTaskReplySignature,
} from './signature';
export { sendCallback, CallbackDeliveryError } from './callback-sender';
export type { CallbackEnvelope, CallbackSenderOptions } from './callback-sender';
