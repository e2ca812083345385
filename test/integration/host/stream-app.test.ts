import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningProcess } from '../../support/processes';
import { projectRoot, runAos } from '../../support/processes';

/** An app that enables HTTP streaming: bodies flow through the library's own proxy. */

let host: RunningProcess;

beforeAll(async () => {
  host = await runAos([
    'host',
    '--app',
    path.join(projectRoot, 'test', 'fixtures', 'stream-app'),
    '--port',
    '0',
  ]);
});

afterAll(async () => {
  await host?.stop();
});

describe('aos host with enableHttpStream', () => {
  it('streams a request body to the function in chunks', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= 16) {
          controller.close();
          return;
        }
        sent += 1;
        controller.enqueue(chunk);
      },
    });
    const response = await fetch(`${host.baseUrl}/api/upload`, {
      method: 'POST',
      body,
      duplex: 'half',
    });
    expect(response.status).toBe(200);
    const result = (await response.json()) as { bytes: number; chunks: number };
    expect(result.bytes).toBe(16 * 64 * 1024);
    expect(result.chunks).toBeGreaterThan(1);
  });

  it('streams a response body from the function', async () => {
    const response = await fetch(`${host.baseUrl}/api/download/2000`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain');
    // Relayed from the library's proxy as it streams, not buffered by the host.
    expect(response.headers.get('content-length')).toBeNull();
    const text = await response.text();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(2000);
    expect(lines[1999]).toBe('line 1999');
  });

  it('answers 500 and keeps serving when a streaming function throws', async () => {
    const failed = await fetch(`${host.baseUrl}/api/brokenStream`, { method: 'POST', body: 'x' });
    expect(failed.status).toBe(500);
    const after = await fetch(`${host.baseUrl}/api/download/3`);
    expect(await after.text()).toBe('line 0\nline 1\nline 2\n');
  });
});

describe('aos host with enableHttpStream and a body limit', () => {
  let limited: RunningProcess;
  const limit = 256 * 1024;

  beforeAll(async () => {
    limited = await runAos(
      ['host', '--app', path.join(projectRoot, 'test', 'fixtures', 'stream-app'), '--port', '0'],
      { env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: String(limit) } },
    );
  });

  afterAll(async () => {
    await limited?.stop();
  });

  function chunkedBody(chunks: number, size: number): ReadableStream<Uint8Array> {
    const chunk = new Uint8Array(size).fill(1);
    let sent = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= chunks) {
          controller.close();
          return;
        }
        sent += 1;
        controller.enqueue(chunk);
      },
    });
  }

  it('answers 413 to a declared length over the limit without invoking the function', async () => {
    const response = await fetch(`${limited.baseUrl}/api/upload`, {
      method: 'POST',
      body: new Uint8Array(limit + 1),
    });
    expect(response.status).toBe(413);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(limited.output()).not.toMatch(/Executing 'Functions\.upload'/);
  });

  it('answers 413 when a chunked body grows past the limit, and keeps serving', async () => {
    const response = await fetch(`${limited.baseUrl}/api/upload`, {
      method: 'POST',
      body: chunkedBody(16, 64 * 1024),
      duplex: 'half',
    });
    expect(response.status).toBe(413);
    const within = await fetch(`${limited.baseUrl}/api/upload`, {
      method: 'POST',
      body: chunkedBody(3, 64 * 1024),
      duplex: 'half',
    });
    expect(within.status).toBe(200);
    expect(((await within.json()) as { bytes: number }).bytes).toBe(3 * 64 * 1024);
  });
});

describe('aos host with enableHttpStream and a body limit smaller than one chunk', () => {
  let tiny: RunningProcess;

  beforeAll(async () => {
    tiny = await runAos(
      ['host', '--app', path.join(projectRoot, 'test', 'fixtures', 'stream-app'), '--port', '0'],
      { env: { FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '1024' } },
    );
  });

  afterAll(async () => {
    await tiny?.stop();
  });

  /** A chunked POST written in one go, before the host has even reached the worker's proxy. */
  function postAtOnce(bytes: number): Promise<number> {
    const url = new URL(`${tiny.baseUrl}/api/upload`);
    return new Promise((resolve, reject) => {
      const req = http.request(
        url,
        { method: 'POST', headers: { 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(Buffer.alloc(bytes, 1));
    });
  }

  it('answers 413 at once, and the invocation ends instead of waiting for a body forever', async () => {
    for (let attempt = 0; attempt < 3; attempt += 1) expect(await postAtOnce(16 * 1024)).toBe(413);
    expect(await postAtOnce(512)).toBe(200);
    // Every invocation that started also finished.
    await vi.waitFor(() => {
      const log = tiny.output();
      const started = log.match(/Executing 'Functions\.upload'/g)?.length ?? 0;
      const finished = log.match(/Executed 'Functions\.upload'/g)?.length ?? 0;
      expect(finished).toBe(started);
    });
  }, 30_000);
});
