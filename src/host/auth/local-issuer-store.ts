import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { HostKind } from '../../kernel/environment';
import type { LocalIssuerKey } from '../../kernel/auth/tokens';
import {
  LocalIssuer,
  LocalIssuerKeyFileError,
  assertLocalIssuerAllowed,
  formatLocalIssuerKeyFile,
  generateLocalIssuerKey,
  parseLocalIssuerKeyFile,
} from '../../kernel/auth/tokens';

/**
 * Keeps the local issuer's private key in `<project>/.aos/local-issuer.json`: made on
 * first use, readable by its owner only (0600, in a 0700 directory), and reused by
 * every later process so tokens minted by `aos token` stay valid across restarts.
 * Two processes starting at once agree on one key: the file appears atomically
 * (written aside, then hard-linked into place), and the loser reads the winner's.
 */

export const localIssuerKeyFileName = 'local-issuer.json';

export function localIssuerKeyPath(projectRoot: string): string {
  return path.join(projectRoot, '.aos', localIssuerKeyFileName);
}

export interface LocalIssuerStoreOptions {
  readonly projectRoot: string;
  /** Where the process runs; the store refuses to make or read a key in Azure. */
  readonly hostKind: HostKind;
  /** Overrides `<projectRoot>/.aos/local-issuer.json`. */
  readonly file?: string;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

export interface StoredLocalIssuerKey {
  readonly key: LocalIssuerKey;
  readonly file: string;
  /** True when this call generated the key. */
  readonly created: boolean;
}

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : undefined;
}

const checksPermissions = process.platform !== 'win32';

async function readKeyFile(file: string): Promise<LocalIssuerKey | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw new LocalIssuerKeyFileError(`${file} is not a regular file`);
    // Like ssh with a private key: a key others can read is refused, not silently fixed.
    if (checksPermissions && (stat.mode & 0o077) !== 0) {
      throw new LocalIssuerKeyFileError(
        `${file} is accessible to other users (mode ${(stat.mode & 0o777).toString(8)}); ` +
          `run 'chmod 600 ${file}', or delete it to make a new key`,
      );
    }
    const text = await handle.readFile('utf8');
    try {
      return parseLocalIssuerKeyFile(text);
    } catch (error) {
      throw new LocalIssuerKeyFileError(
        `${file}: ${error instanceof Error ? error.message : String(error)}; delete it to make a new key`,
        { cause: error },
      );
    }
  } finally {
    await handle.close();
  }
}

/** Writes `text` to `file` only if `file` does not exist yet; false when another writer got there first. */
async function createExclusively(file: string, text: string): Promise<boolean> {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(temp, text, { mode: 0o600, flag: 'wx' });
  try {
    await fs.chmod(temp, 0o600);
    try {
      await fs.link(temp, file);
      return true;
    } catch (error) {
      const code = errorCode(error);
      if (code === 'EEXIST') return false;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'ENOSYS') throw error;
    }
    // A file system without hard links: exclusive create, then write.
    try {
      await fs.writeFile(file, text, { mode: 0o600, flag: 'wx' });
      return true;
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw error;
    }
  } finally {
    await fs.rm(temp, { force: true });
  }
}

/** The stored key, generating and saving one on first use. */
export async function loadOrCreateLocalIssuerKey(
  options: LocalIssuerStoreOptions,
): Promise<StoredLocalIssuerKey> {
  assertLocalIssuerAllowed(options.hostKind);
  const file = options.file ?? localIssuerKeyPath(options.projectRoot);
  const existing = await readKeyFile(file);
  if (existing !== undefined) return { key: existing, file, created: false };

  const key = await generateLocalIssuerKey(new Date((options.now ?? Date.now)()));
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  if (await createExclusively(file, formatLocalIssuerKeyFile(key))) return { key, file, created: true };
  const winner = await readKeyFile(file);
  if (winner === undefined) throw new LocalIssuerKeyFileError(`${file} vanished while it was being created`);
  return { key: winner, file, created: false };
}

/** The local issuer over the stored key (created on first use). */
export async function openLocalIssuer(options: LocalIssuerStoreOptions): Promise<LocalIssuer> {
  const { key } = await loadOrCreateLocalIssuerKey(options);
  return LocalIssuer.fromKey(key, options.now === undefined ? {} : { now: options.now });
}
