import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningProcess } from '../../support/processes';
import { projectRoot, runAos } from '../../support/processes';

/**
 * host.json `logging.logLevel` decides which function log lines the local runtime
 * writes, by category as the Functions host does: `Function.<name>` for the
 * Executing/Executed lines, `Function.<name>.User` for what the function logs,
 * longest prefix first, then `default`.
 */

let dir: string;
let host: RunningProcess;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'aos-loglevels-'));
  cpSync(path.join(projectRoot, 'test', 'fixtures', 'http-app'), dir, { recursive: true });
  symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'));
  writeFileSync(
    path.join(dir, 'host.json'),
    JSON.stringify({
      version: '2.0',
      extensions: { http: { routePrefix: 'fixture' } },
      logging: {
        logLevel: {
          default: 'Information',
          Function: 'Warning',
          'Function.hello.User': 'Information',
          'Function.itemById': 'Information',
          'Function.boom': 'None',
        },
      },
    }),
  );
  host = await runAos(['host', '--app', dir, '--port', '0'], { env: { FIXTURE_GREETING: 'Hi' } });
});

afterAll(async () => {
  await host?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('host.json logging.logLevel', () => {
  it('filters invocation and function lines by category, longest prefix first', async () => {
    expect((await fetch(`${host.baseUrl}/fixture/greet/Ann`)).status).toBe(200);
    expect((await fetch(`${host.baseUrl}/fixture/items/7`)).status).toBe(202);
    expect((await fetch(`${host.baseUrl}/fixture/boom`)).status).toBe(500);
    // A marker after boom: once its line is out, anything boom logged is out too (lines keep their order).
    expect((await fetch(`${host.baseUrl}/fixture/items/8`)).status).toBe(202);
    await vi.waitFor(() =>
      expect(host.output().match(/Executed 'Functions\.itemById'/g)?.length ?? 0).toBe(2),
    );
    const log = host.output();
    // Function.hello falls under Function (Warning): no Executing/Executed lines...
    expect(log).not.toMatch(/Executing 'Functions\.hello'/);
    expect(log).not.toMatch(/Executed 'Functions\.hello'/);
    // ...but its own log lines have a rule of their own.
    expect(log).toMatch(/greeting Ann/);
    expect(log).toMatch(/Executing 'Functions\.itemById'/);
    // None silences even the failure lines of that function.
    expect(log).not.toMatch(/Functions\.boom/);
    expect(log).not.toMatch(/deliberate failure/);
  });
});
