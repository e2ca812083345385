import { z } from 'zod';
import { readCappedText } from '../../http/read-capped';
import { timeoutSecondsSchema } from '../registration-schema';
import { isSecretReference } from '../secrets';
import type { AgentReply, AgentTransport, TransportCall, TransportResult } from '../types';
import { TransportError } from '../types';

/**
 * The `http` transport: POSTs the AgentTask as JSON to the agent's URL and reads
 * its answer (docs/agent-protocol.md). 200 carries the reply; 202 means the agent
 * will post its reply to `task.reply_url` later. Uses the global fetch.
 */

/** Headers the kernel sets itself; an agent registration may not override them. */
const reservedHeaders = new Set([
  'content-type',
  'content-length',
  'accept',
  'host',
  'connection',
  'transfer-encoding',
  'traceparent',
  'tracestate',
  'user-agent',
  'x-aos-task-id',
  'x-aos-orchestration-id',
  'x-aos-agent-id',
]);

const headerNamePattern = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/;
// eslint-disable-next-line no-control-regex
const headerValuePattern = /^[^\r\n\u0000]*$/;

const httpUrlSchema = z
  .url({ protocol: /^https?$/, message: 'must be an http or https URL' })
  .max(2_048)
  .refine((value) => {
    // zod runs this check even after the URL check failed.
    if (!URL.canParse(value)) return true;
    const url = new URL(value);
    return url.username === '' && url.password === '';
  }, 'must not carry credentials; put them in headers, which are stored as secrets');

/** The transport object at registration: header values are secrets, given in clear. */
export const httpTransportSchema = z.strictObject({
  type: z.literal('http'),
  url: httpUrlSchema,
  timeout_seconds: timeoutSecondsSchema.optional(),
  headers: z
    .record(
      z
        .string()
        .regex(headerNamePattern, 'must be an HTTP header name')
        .refine(
          (name) => !reservedHeaders.has(name.toLowerCase()),
          'is set by the kernel and cannot be overridden',
        ),
      z.string().max(8_192).regex(headerValuePattern, 'must not contain line breaks or NUL'),
    )
    .refine(
      (headers) =>
        new Set(Object.keys(headers).map((name) => name.toLowerCase())).size === Object.keys(headers).length,
      'must not name a header twice (header names are case-insensitive)',
    )
    .optional(),
});

/** The stored form: header values are secret references (plain strings tolerated). */
const storedHttpTransportSchema = z.object({
  type: z.literal('http'),
  url: z.string(),
  headers: z.record(z.string(), z.union([z.string(), z.object({ secret_ref: z.string() })])).optional(),
});

/** The reply an agent sends with 200. Extra fields are ignored; null means absent. */
export const agentReplySchema = z.object({
  message: z.string(),
  output: z.unknown().optional(),
  route: z.string().max(256).nullable().optional(),
});

export interface HttpTransportOptions {
  /** Default: the global fetch (Node 20). */
  readonly fetch?: typeof fetch;
  /** Largest reply body read, in bytes (default 4 MiB); larger is an invalid reply. */
  readonly maxReplyBytes?: number;
  readonly userAgent?: string;
}

export class HttpTransport implements AgentTransport {
  readonly type = 'http';
  private readonly fetch: typeof fetch;
  private readonly maxReplyBytes: number;
  private readonly userAgent: string;

  constructor(options: HttpTransportOptions = {}) {
    this.fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.maxReplyBytes = options.maxReplyBytes ?? 4 * 1024 * 1024;
    this.userAgent = options.userAgent ?? 'aos-kernel';
  }

  async invoke(call: TransportCall): Promise<TransportResult> {
    const parsed = storedHttpTransportSchema.safeParse(call.agent.transport);
    if (!parsed.success) {
      throw new TransportError(
        `agent '${call.agent.agent_id}' has no usable http transport`,
        false,
        undefined,
        {
          code: 'invalid_config',
        },
      );
    }
    const config = parsed.data;
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(config.headers ?? {})) {
      headers[name] = isSecretReference(value) ? await call.secrets.resolve(value) : value;
    }
    headers['content-type'] = 'application/json';
    headers['accept'] = 'application/json';
    headers['user-agent'] = this.userAgent;
    headers['x-aos-task-id'] = call.task.task_id;
    if (call.task.orchestration_id !== null) headers['x-aos-orchestration-id'] = call.task.orchestration_id;
    if (call.traceparent !== undefined) headers['traceparent'] = call.traceparent;

    const deadline = deadlineSignal(call.signal, call.timeoutMs);
    try {
      let response: Response;
      try {
        response = await this.fetch(config.url, {
          method: 'POST',
          headers,
          body: JSON.stringify(call.task),
          signal: deadline.signal,
          // Following a redirect would send the agent's secret headers to wherever it points.
          redirect: 'manual',
        });
      } catch (error) {
        throw failure(error, deadline.signal, call.timeoutMs);
      }
      return await this.answer(response, deadline.signal, call.timeoutMs);
    } finally {
      deadline.dispose();
    }
  }

  private async answer(response: Response, signal: AbortSignal, timeoutMs: number): Promise<TransportResult> {
    const status = response.status;
    if (status === 202) {
      await discard(response);
      return { kind: 'accepted' };
    }
    if (status >= 200 && status < 300) {
      let text: string;
      try {
        text = await readLimited(response, this.maxReplyBytes);
      } catch (error) {
        if (error instanceof TransportError) throw error;
        throw failure(error, signal, timeoutMs);
      }
      return { kind: 'reply', reply: parseReply(status, text) };
    }
    await discard(response);
    if (status >= 300 && status < 400) {
      throw new TransportError(
        `agent answered HTTP ${status} (a redirect); register the URL it redirects to`,
        false,
        status,
        { code: 'redirect' },
      );
    }
    const retryable = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = retryable ? parseRetryAfter(response.headers.get('retry-after')) : undefined;
    throw new TransportError(`agent answered HTTP ${status}`, retryable, status, {
      code: 'http_status',
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
}

function parseReply(status: number, text: string): AgentReply {
  if (text.trim() === '') {
    throw new TransportError(
      `agent answered HTTP ${status} with an empty body; a reply is JSON {"message": …}`,
      false,
      undefined,
      { code: 'invalid_reply' },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TransportError(`agent answered HTTP ${status} with a body that is not JSON`, false, undefined, {
      code: 'invalid_reply',
    });
  }
  const reply = agentReplySchema.safeParse(json);
  if (!reply.success) {
    const problems = reply.error.issues
      .slice(0, 5)
      .map((issue) => {
        const field = issue.path.map(String).join('.');
        return field === '' ? `reply: ${issue.message}` : `field '${field}': ${issue.message}`;
      })
      .join('; ');
    throw new TransportError(`agent's reply is not valid: ${problems}`, false, undefined, {
      code: 'invalid_reply',
    });
  }
  const { message, output, route } = reply.data;
  return {
    message,
    ...(output === undefined ? {} : { output }),
    ...(route === undefined || route === null ? {} : { route }),
  };
}

/** The caller's signal, plus our own deadline so the transport times out when used alone too. */
function deadlineSignal(outer: AbortSignal, timeoutMs: number): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  if (outer.aborted) controller.abort();
  else outer.addEventListener('abort', abort, { once: true });
  const timer = setTimeout(abort, timeoutMs);
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      outer.removeEventListener('abort', abort);
    },
  };
}

function failure(error: unknown, signal: AbortSignal, timeoutMs: number): TransportError {
  if (signal.aborted) {
    return new TransportError(`agent did not answer within ${timeoutMs} ms`, true, undefined, {
      code: 'timeout',
      cause: error,
    });
  }
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause;
  const code =
    typeof cause?.code === 'string' && /^[A-Z0-9_]{2,40}$/.test(cause.code) ? cause.code : undefined;
  return new TransportError(
    `could not reach the agent${code === undefined ? '' : ` (${code})`}`,
    true,
    undefined,
    {
      code: 'unreachable',
      cause: error,
    },
  );
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // The body is of no interest; a failure to drop it changes nothing.
  }
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const text = await readCappedText(response, limit);
  if (text === undefined) {
    throw new TransportError(`agent's reply is larger than ${limit} bytes`, false, undefined, {
      code: 'invalid_reply',
    });
  }
  return text;
}

/** Retry-After in seconds or as an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^[0-9]+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
