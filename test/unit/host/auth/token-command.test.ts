import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { openLocalIssuer, runTokenCommand } from '../../../../src/host/auth';

const t0 = Date.UTC(2026, 0, 1);

async function run(argv: string[], env: Record<string, string | undefined> = {}, root = projectRoot()) {
  let stdout = '';
  let stderr = '';
  const code = await runTokenCommand(argv, {
    projectRoot: root,
    env,
    now: () => t0,
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  });
  return { code, stdout, stderr, root };
}

const roots: string[] = [];

function projectRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'aos-token-'));
  roots.push(root);
  return root;
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('aos token', () => {
  it('prints a token the local issuer validates, with the requested claims', async () => {
    const { code, stdout, stderr, root } = await run([
      '--sub',
      'alice',
      '--roles',
      'Orchestrations.Write, Agents.Read',
      '--app',
      'contoso',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(stderr).toContain('expires 2026-01-01T01:00:00.000Z');
    const issuer = await openLocalIssuer({ projectRoot: root, hostKind: 'local-runtime', now: () => t0 });
    expect(await issuer.validator().validate(stdout.trim())).toEqual({
      id: 'alice',
      name: 'alice',
      kind: 'user',
      app_id: 'contoso',
      roles: ['Orchestrations.Write', 'Agents.Read'],
      scopes: [],
      issuer: 'urn:aos-kernel:local-issuer',
      expires_at: '2026-01-01T01:00:00.000Z',
    });
  });

  it('reuses the key made by an earlier run', async () => {
    const first = await run(['--sub', 'alice']);
    const second = await run(['--sub', 'bob'], {}, first.root);
    const issuer = await openLocalIssuer({
      projectRoot: first.root,
      hostKind: 'local-runtime',
      now: () => t0,
    });
    await expect(issuer.validator().validate(first.stdout.trim())).resolves.toMatchObject({ id: 'alice' });
    await expect(issuer.validator().validate(second.stdout.trim())).resolves.toMatchObject({ id: 'bob' });
  });

  it.each([
    ['30m', 1800],
    ['7d', 604_800],
    ['30d', 2_592_000],
  ])('sets the lifetime from --ttl %s', async (ttl, seconds) => {
    const { code, stdout } = await run(['--sub', 'alice', '--ttl', ttl]);
    expect(code).toBe(0);
    const claims = decodeJwt(stdout.trim());
    expect(claims.exp! - claims.iat!).toBe(seconds);
  });

  it('passes --name, --kind and --scopes through', async () => {
    const { stdout } = await run([
      '--sub',
      'svc',
      '--name',
      'Billing daemon',
      '--kind',
      'app',
      '--scopes',
      'a.read,b.write',
    ]);
    expect(decodeJwt(stdout.trim())).toMatchObject({
      name: 'Billing daemon',
      idtyp: 'app',
      scp: 'a.read b.write',
    });
  });

  it.each([
    [[], /--sub is required/],
    [['--sub', 'alice', '--ttl', '31d'], /--ttl must be .* at most 30d; got '31d'/],
    [['--sub', 'alice', '--ttl', '1w'], /--ttl must be/],
    [['--sub', 'alice', '--kind', 'robot'], /--kind must be 'user' or 'app'/],
    [['--sub', 'alice', '--bogus'], /Unknown option '--bogus'/],
    [['--sub', 'alice', 'extra'], /positional/],
    [['--sub', 'has space'], /--sub: must be/],
    [['--sub', 'alice', '--roles', 'bad role'], /--roles.0: must be/],
  ])('exits 2 with usage for %j', async (argv, message) => {
    const { code, stdout, stderr } = await run(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
    expect(stderr).toContain('Usage:');
  });

  it('refuses to run in Azure and makes no key there', async () => {
    const { code, stdout, stderr, root } = await run(['--sub', 'alice'], { WEBSITE_INSTANCE_ID: 'abc123' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/refused when running in Azure/);
    expect(existsSync(path.join(root, '.aos'))).toBe(false);
  });

  it('prints usage for --help', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('aos token --sub NAME');
  });
});
