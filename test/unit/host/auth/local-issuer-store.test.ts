import {
  chmodSync,
  existsSync,
  mkdtempSync,
  rmSync,
  readFileSync,
  readdirSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateLocalIssuerKey, localIssuerKeyPath, openLocalIssuer } from '../../../../src/host/auth';
import { LocalIssuerKeyFileError, LocalIssuerNotAllowedError } from '../../../../src/kernel/auth/tokens';

const posix = process.platform !== 'win32';

const roots: string[] = [];

function projectRoot(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'aos-issuer-'));
  roots.push(root);
  return root;
}

afterAll(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

describe('local issuer key store', () => {
  it('creates the key once under .aos/ and reuses it across instances', async () => {
    const root = projectRoot();
    const first = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
    expect(first.created).toBe(true);
    expect(first.file).toBe(path.join(root, '.aos', 'local-issuer.json'));
    expect(localIssuerKeyPath(root)).toBe(first.file);
    const second = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
    expect(second.created).toBe(false);
    expect(second.key).toEqual(first.key);

    const a = await openLocalIssuer({ projectRoot: root, hostKind: 'local-runtime' });
    const b = await openLocalIssuer({ projectRoot: root, hostKind: 'unknown' });
    expect(a.kid).toBe(b.kid);
    // A token from one process's issuer validates in another's.
    const { token } = await a.issue({ sub: 'alice' });
    await expect(b.validator().validate(token)).resolves.toMatchObject({ id: 'alice' });
    // Nothing left behind from the atomic create.
    expect(readdirSync(path.join(root, '.aos'))).toEqual(['local-issuer.json']);
  });

  it.skipIf(!posix)('keeps the key readable by its owner only (0600 in a 0700 directory)', async () => {
    const root = projectRoot();
    const { file } = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
  });

  it('agrees on one key when several processes start at once', async () => {
    const root = projectRoot();
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' }),
      ),
    );
    expect(results.filter((result) => result.created)).toHaveLength(1);
    for (const result of results) expect(result.key).toEqual(results[0]!.key);
    expect(readdirSync(path.join(root, '.aos'))).toEqual(['local-issuer.json']);
  });

  it('refuses to make or read a key in Azure', async () => {
    const root = projectRoot();
    await expect(loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'azure' })).rejects.toThrow(
      LocalIssuerNotAllowedError,
    );
    await expect(openLocalIssuer({ projectRoot: root, hostKind: 'azure' })).rejects.toThrow(
      LocalIssuerNotAllowedError,
    );
    expect(existsSync(path.join(root, '.aos'))).toBe(false);
  });

  it.skipIf(!posix)('refuses a key file other users can read', async () => {
    const root = projectRoot();
    const { file } = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
    chmodSync(file, 0o644);
    await expect(
      loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' }),
    ).rejects.toThrow(/accessible to other users \(mode 644\)/);
  });

  it('names the file when it is corrupt, and does not overwrite it', async () => {
    const root = projectRoot();
    const { file } = await loadOrCreateLocalIssuerKey({ projectRoot: root, hostKind: 'local-runtime' });
    writeFileSync(file, '{"format":"something else"}', { mode: 0o600 });
    const error: unknown = await loadOrCreateLocalIssuerKey({
      projectRoot: root,
      hostKind: 'local-runtime',
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(LocalIssuerKeyFileError);
    expect((error as Error).message).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('{"format":"something else"}');
  });

  it('records when the key was made', async () => {
    const root = projectRoot();
    const { key, file } = await loadOrCreateLocalIssuerKey({
      projectRoot: root,
      hostKind: 'local-runtime',
      now: () => Date.UTC(2026, 0, 2),
    });
    expect(key.createdAt).toBe('2026-01-02T00:00:00.000Z');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ created_at: '2026-01-02T00:00:00.000Z' });
  });
});
