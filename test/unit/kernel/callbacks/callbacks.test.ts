import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CallbackDeliveryError,
  sendCallback,
  signCallback,
  verifyCallback,
} from '../../../../src/kernel/callbacks';

const secret = 'a-test-secret-of-enough-length';
const received: { headers: http.IncomingHttpHeaders; body: string }[] = [];
let status = 204;
let server: http.Server;
let url: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('callback signatures', () => {
  it('verifies its own signatures and rejects tampering', () => {
    const signature = signCallback(secret, '1700000000', '{"a":1}');
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verifyCallback(secret, '1700000000', '{"a":1}', signature)).toBe(true);
    expect(verifyCallback(secret, '1700000000', '{"a":2}', signature)).toBe(false);
    expect(verifyCallback(secret, '1700000001', '{"a":1}', signature)).toBe(false);
    expect(verifyCallback('another-secret-entirely', '1700000000', '{"a":1}', signature)).toBe(false);
  });

  it('posts a signed JSON envelope the receiver can verify', async () => {
    status = 204;
    const envelope = {
      event: 'completed' as const,
      orchestration_id: 'o1',
      status: 'completed',
      payload: { x: 1 },
      sent_at: '2026-01-01T00:00:00Z',
    };
    await sendCallback(url, envelope, { secret, now: () => new Date('2026-01-01T00:00:00Z') });
    const last = received.at(-1)!;
    expect(JSON.parse(last.body)).toEqual(envelope);
    expect(last.headers['x-aos-timestamp']).toBe('1767225600');
    expect(verifyCallback(secret, '1767225600', last.body, String(last.headers['x-aos-signature']))).toBe(
      true,
    );
    expect(last.body).not.toContain(secret);
  });

  it('throws on a non-2xx answer so the caller retries', async () => {
    status = 500;
    await expect(
      sendCallback(
        url,
        { event: 'completed', orchestration_id: 'o1', status: 'failed', payload: {}, sent_at: '' },
        { secret },
      ),
    ).rejects.toBeInstanceOf(CallbackDeliveryError);
  });
});
