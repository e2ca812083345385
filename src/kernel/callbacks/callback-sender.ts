import { signCallback, signatureHeader, timestampHeader } from './signature';

/**
 * Delivers one callback: a signed JSON POST. Throws when the receiver does not
 * answer 2xx so the caller (a durable activity with retry) backs off and tries
 * again. The body never contains secrets: it is the orchestration status.
 */

export interface CallbackEnvelope {
  readonly event: 'status_changed' | 'completed';
  readonly orchestration_id: string;
  readonly status: string;
  readonly payload: unknown;
  readonly sent_at: string;
}

export class CallbackDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface CallbackSenderOptions {
  readonly secret: string;
  readonly timeoutMs?: number;
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
}

export async function sendCallback(
  url: string,
  envelope: CallbackEnvelope,
  options: CallbackSenderOptions,
): Promise<number> {
  const body = JSON.stringify(envelope);
  const timestamp = String(Math.floor((options.now?.() ?? new Date()).getTime() / 1000));
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [timestampHeader]: timestamp,
        [signatureHeader]: signCallback(options.secret, timestamp, body),
        'user-agent': 'aos-kernel-callback/1',
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
      redirect: 'manual',
    });
  } catch (error) {
    throw new CallbackDeliveryError(`callback to ${new URL(url).origin} failed: ${(error as Error).name}`);
  }
  await response.arrayBuffer().catch(() => undefined);
  if (response.status < 200 || response.status >= 300) {
    throw new CallbackDeliveryError(
      `callback to ${new URL(url).origin} answered ${response.status}`,
      response.status,
    );
  }
  return response.status;
}
