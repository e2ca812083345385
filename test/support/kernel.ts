import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inject } from 'vitest';
import type { RunningProcess } from './processes';
import { runAos } from './processes';

/**
 * The kernel on `aos host` against the test run's Azurite, with its own task hub,
 * and a small JSON client for its API.
 */

export const callbackSecret = 'e2e-callback-signing-secret';

export async function startKernel(env: Record<string, string> = {}): Promise<RunningProcess> {
  return runAos(['host', '--port', '0'], {
    env: {
      AzureWebJobsStorage: inject('azuriteConnectionString'),
      AOS_TASK_HUB: `e2e${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`,
      AOS_CALLBACK_SIGNING_SECRET: callbackSecret,
      AOS_AUTH_LOCAL_ISSUER: 'true',
      // The tests poll hard; limits are exercised by their own test with small numbers.
      AOS_RATE_LIMIT_CAPACITY: '100000',
      AOS_RATE_LIMIT_REFILL_PER_SECOND: '100000',
      ...env,
    },
    timeoutMs: 60_000,
  });
}

export interface ApiResponse<T = Record<string, unknown>> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

/** A JSON client for the kernel's API that sends `token` (a local-issuer token or an API key) on every call. */
export function apiClient(baseUrl: string, token: string | undefined) {
  return async function api<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const response = await fetch(`${baseUrl}/api${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text ? JSON.parse(text) : null) as T,
      headers: response.headers,
    };
  };
}

/** Polls until the orchestration reaches one of `statuses`. */
export async function waitForStatus(
  api: ReturnType<typeof apiClient>,
  id: string,
  statuses: readonly string[],
  timeoutMs = 30_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await api('GET', `/orchestrations/${id}`);
    if (statuses.includes(String(body['status']))) return body;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${id}: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** A loopback HTTP server whose handler the test defines. */
export async function testServer(
  handler: (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void | Promise<void>,
): Promise<{ url: string; requests: RecordedRequest[]; close: () => Promise<void> }> {
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      void Promise.resolve(handler(req, body, res)).catch(() => {
        res.statusCode = 500;
        res.end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function unique(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
}
