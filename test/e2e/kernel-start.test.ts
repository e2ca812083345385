import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RunningProcess } from '../support/processes';
import { runAos, runAosToExit } from '../support/processes';
import { localToken } from '../support/tokens';

/**
 * The kernel booted the way `npm start` boots it (`aos start`: Azurite from
 * node_modules + the local runtime), and through `aos host` against storage that
 * is up or down. Everything is checked over real HTTP.
 */

function portIsClosed(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('aos start (what npm start runs)', () => {
  let stack: RunningProcess;
  beforeAll(async () => {
    const data = mkdtempSync(path.join(tmpdir(), 'aos-start-'));
    stack = await runAos(['start', '--port', '0', '--azurite-ports', 'auto', '--data', data], {
      env: { AzureWebJobsStorage: undefined, AOS_AUTH_LOCAL_ISSUER: 'true' },
      timeoutMs: 60_000,
    });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('answers bare liveness to anyone and the storage checks only to an authenticated caller', async () => {
    const bare = await fetch(`${stack.baseUrl}/api/health`);
    expect(bare.status).toBe(200);
    expect(await bare.json()).toEqual({
      app: 'aos-kernel',
      status: 'healthy',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/) as string,
    });
    const response = await fetch(`${stack.baseUrl}/api/health`, {
      headers: { authorization: `Bearer ${await localToken({ roles: ['reader'] })}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      app: 'aos-kernel',
      status: 'healthy',
      host: 'local-runtime',
      checks: { storage_blob: { status: 'ok' }, storage_table: { status: 'ok' } },
    });
    expect(body['version']).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('answers unknown routes and wrong methods with problem+json', async () => {
    const unknown = await fetch(`${stack.baseUrl}/api/no/such/route`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(await unknown.json()).toMatchObject({
      status: 404,
      code: 'not_found',
      instance: '/api/no/such/route',
    });

    const wrong = await fetch(`${stack.baseUrl}/api/health`, { method: 'DELETE' });
    // (405 needs no credentials: the route table answers before any function runs.)
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
    expect(await wrong.json()).toMatchObject({ status: 405, code: 'method_not_allowed' });
  });

  it('prints the base URL and stops Azurite with itself on SIGINT', async () => {
    expect(stack.output()).toContain(`aos-kernel is running at ${stack.baseUrl}/api`);
    const match = /Azurite: blob (\d+), queue (\d+), table (\d+)/.exec(stack.output());
    expect(match).not.toBeNull();
    const ports = match!.slice(1).map(Number);
    expect(await stack.stop('SIGINT')).toBe(0);
    for (const port of ports) expect(await portIsClosed(port)).toBe(true);
  });
});

describe('aos host running the kernel', () => {
  it('reports healthy against the test Azurite', async () => {
    const kernel = await runAos(['host', '--port', '0'], {
      env: { AzureWebJobsStorage: inject('azuriteConnectionString'), AOS_AUTH_LOCAL_ISSUER: 'true' },
    });
    try {
      const response = await fetch(`${kernel.baseUrl}/api/health`, {
        headers: { authorization: `Bearer ${await localToken()}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        status: 'healthy',
        checks: { storage_blob: { status: 'ok' } },
      });
    } finally {
      await kernel.stop();
    }
  });

  it('answers 503 degraded when storage does not answer', async () => {
    const port = await closedPort();
    const unreachable = [
      'DefaultEndpointsProtocol=http',
      'AccountName=devstoreaccount1',
      'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==',
      `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
      `QueueEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
      `TableEndpoint=http://127.0.0.1:${port}/devstoreaccount1`,
    ].join(';');
    const kernel = await runAos(['host', '--port', '0'], {
      env: { AzureWebJobsStorage: unreachable, AOS_HEALTH_TIMEOUT_MS: '1500' },
    });
    try {
      const response = await fetch(`${kernel.baseUrl}/api/health`);
      expect(response.status).toBe(503);
      // Credentials cannot be checked while storage is down, so the caller gets the bare answer.
      const body = (await response.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ app: 'aos-kernel', status: 'degraded' });
      expect(JSON.stringify(body)).not.toContain('AccountKey');
    } finally {
      await kernel.stop();
    }
  });

  it('refuses to start with a message naming an invalid setting', async () => {
    const { code, output } = await runAosToExit(['host', '--port', '0'], {
      env: { AzureWebJobsStorage: inject('azuriteConnectionString'), AOS_MAX_BODY_BYTES: 'lots' },
    });
    expect(code).toBe(1);
    expect(output).toContain('AOS_MAX_BODY_BYTES');
    expect(output).toContain('must be a whole number');
  });
});
