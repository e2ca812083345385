import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningProcess } from '../../support/processes';
import { projectRoot, runAos } from '../../support/processes';

/**
 * The local runtime serving a plain third-party v4 app (test/fixtures/http-app),
 * started exactly as a user would: `aos host --app DIR`.
 */

const appDir = path.join(projectRoot, 'test', 'fixtures', 'http-app');
const terminateFile = path.join(mkdtempSync(path.join(tmpdir(), 'aos-fixture-')), 'terminated.txt');
let host: RunningProcess;
let base: string;

beforeAll(async () => {
  host = await runAos(['host', '--app', appDir, '--port', '0'], {
    env: {
      FIXTURE_GREETING: 'Hi',
      FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(256 * 1024),
      FIXTURE_TERMINATE_FILE: terminateFile,
    },
  });
  base = `${host.baseUrl}/fixture`;
});

afterAll(async () => {
  await host?.stop();
});

describe('aos host serving a v4 app', () => {
  it('matches route parameters, optional parameters and the query string', async () => {
    const response = await fetch(`${base}/greet/bob?lang=en&tag=a&tag=b`, {
      headers: {
        'user-agent': 'fixture-test',
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      greeting: 'Hi, bob',
      title: null,
      lang: 'en',
      tags: 'a,b',
      userAgent: 'fixture-test',
      functionName: 'hello',
      traceParent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const withTitle = (await (await fetch(`${base}/greet/ann/Dr`)).json()) as Record<string, unknown>;
    expect(withTitle).toMatchObject({ greeting: 'Hi, ann', title: 'Dr' });
  });

  it('reads JSON bodies and returns custom status, headers and cookies', async () => {
    const response = await fetch(`${base}/items/42`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2] }),
    });
    expect(response.status).toBe(202);
    expect(response.headers.get('x-custom')).toBe('yes');
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(response.headers.getSetCookie()).toEqual(['session=abc%20123; Path=/; HttpOnly; SameSite=Strict']);
    expect(await response.json()).toEqual({ id: 42, kind: 'by-id', body: { a: [1, 2] } });
  });

  it('round-trips binary bodies byte for byte', async () => {
    const payload = randomBytes(100_000);
    for (const method of ['POST', 'PUT']) {
      const response = await fetch(`${base}/echo`, {
        method,
        headers: { 'content-type': 'application/octet-stream' },
        body: payload,
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('x-echo-method')).toBe(method);
      expect(response.headers.get('x-echo-length')).toBe(String(payload.length));
      expect(Buffer.from(await response.arrayBuffer()).equals(payload)).toBe(true);
    }
  });

  it('prefers the more specific route when several match', async () => {
    expect(await (await fetch(`${base}/items/7`)).json()).toMatchObject({ kind: 'by-id', id: 7 });
    expect(await (await fetch(`${base}/items/seven`)).json()).toMatchObject({
      kind: 'by-name',
      name: 'seven',
    });
  });

  it('serves catch-all and default routes, case-insensitively', async () => {
    expect(await (await fetch(`${base}/files/a/b/c.txt`)).text()).toBe('path=a/b/c.txt');
    expect(await (await fetch(`${base}/files`)).text()).toBe('path=');
    expect(await (await fetch(`${base}/DEFAULTROUTE`)).text()).toBe('served at the function name');
  });

  it('answers 204 when a function returns nothing', async () => {
    const response = await fetch(`${base}/things/1`, { method: 'DELETE' });
    expect(response.status).toBe(204);
  });

  it('answers unknown routes with 404 and wrong methods with 405 and Allow', async () => {
    const unknown = await fetch(`${base}/nothing`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const outside = await fetch(`${host.baseUrl}/elsewhere`);
    expect(outside.status).toBe(404);
    const wrong = await fetch(`${base}/echo`, { method: 'PATCH' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('POST, PUT');
  });

  it('rejects bodies over FUNCTIONS_REQUEST_BODY_SIZE_LIMIT with 413', async () => {
    const response = await fetch(`${base}/echo`, { method: 'POST', body: randomBytes(300 * 1024) });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('answers 500 without details when a function throws', async () => {
    const response = await fetch(`${base}/boom`);
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('hunter2');
    // Log lines reach stdout on the host's next event-loop turn, maybe after the response.
    await vi.waitFor(() => expect(host.output()).toContain("Executed 'Functions.boom' (Failed"));
  });

  it('fails an invocation that exceeds host.json functionTimeout', async () => {
    const response = await fetch(`${base}/slow`);
    expect(response.status).toBe(500);
    await vi.waitFor(() =>
      expect(host.output()).toMatch(/Timeout value of 2000ms was exceeded by function: Functions\.slow/),
    );
  });

  it('runs app-start and invocation hooks that can replace the handler', async () => {
    const response = await fetch(`${base}/hooked`);
    expect(response.headers.get('x-wrapped-by')).toBe('preInvocation');
    const { events } = (await response.json()) as { events: string[] };
    expect(events[0]).toBe('appStart');
    const again = (await (await fetch(`${base}/hooked`)).json()) as { events: string[] };
    expect(again.events.filter((e) => e === 'postInvocation:pre:ok').length).toBeGreaterThanOrEqual(2);
  });

  it('runs the timer trigger on start-up and then on its schedule from local.settings.json', async () => {
    let ticks: { count: number; ticks: { isPastDue: boolean; next: string }[] } = { count: 0, ticks: [] };
    for (let i = 0; i < 50 && ticks.count < 3; i += 1) {
      ticks = (await (await fetch(`${base}/ticks`)).json()) as typeof ticks;
      if (ticks.count < 3) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(ticks.count).toBeGreaterThanOrEqual(3);
    expect(ticks.ticks[0]?.isPastDue).toBe(false);
    expect(Date.parse(ticks.ticks[0]!.next)).not.toBeNaN();
    expect(host.output()).toContain("Executing 'Functions.tick' (Reason='Timer fired at");
  });

  it('applies CORS from local.settings.json Host.CORS', async () => {
    const allowed = await fetch(`${base}/greet/x`, { headers: { origin: 'https://allowed.example' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://allowed.example');
    const other = await fetch(`${base}/greet/x`, { headers: { origin: 'https://other.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${base}/items/1`, {
      method: 'OPTIONS',
      headers: { origin: 'https://allowed.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
  });

  it('logs each invocation with its duration, like func', () => {
    expect(host.output()).toMatch(
      /Executed 'Functions\.hello' \(Succeeded, Id=[0-9a-f-]{36}, Duration=\d+ms\)/,
    );
    expect(host.output()).toContain(`hello: [GET] ${host.baseUrl}/fixture/greet/{name}/{title?}`);
  });
});

describe('graceful shutdown', () => {
  it('finishes requests in flight, runs app-terminate hooks and exits 0 on SIGTERM', async () => {
    const own = await runAos(['host', '--app', appDir, '--port', '0'], {
      env: { FIXTURE_TERMINATE_FILE: terminateFile },
    });
    const pending = fetch(`${own.baseUrl}/fixture/wait?ms=800`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const exit = own.stop('SIGTERM');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ waited: 800 });
    expect(await exit).toBe(0);
    expect(existsSync(terminateFile)).toBe(true);
    expect(readFileSync(terminateFile, 'utf8')).toBe('terminated');
    expect(own.output()).toContain('Host stopped.');
  });
});
