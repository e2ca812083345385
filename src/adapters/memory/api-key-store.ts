import type { ApiKeyListFilter, ApiKeyStore, StoredApiKey } from '../../kernel/auth/access';
import { KernelError } from '../../kernel/errors';

/** API keys in memory: unit tests and the embedded default. Nothing survives the process. */
export class MemoryApiKeyStore implements ApiKeyStore {
  #keys = new Map<string, StoredApiKey>();

  async insert(key: StoredApiKey): Promise<void> {
    if (this.#keys.has(key.key_id)) {
      throw new KernelError('conflict', 'API key exists', { detail: `Key id '${key.key_id}' is taken.` });
    }
    this.#keys.set(key.key_id, structuredClone(key));
  }

  async get(keyId: string): Promise<StoredApiKey | undefined> {
    const key = this.#keys.get(keyId);
    return key === undefined ? undefined : structuredClone(key);
  }

  async list(filter: ApiKeyListFilter = {}): Promise<StoredApiKey[]> {
    return [...this.#keys.values()]
      .filter((key) => filter.app_id === undefined || key.app_id === filter.app_id)
      .map((key) => structuredClone(key));
  }

  async markRevoked(keyId: string, revokedAt: string): Promise<boolean> {
    const key = this.#keys.get(keyId);
    if (key === undefined) return false;
    this.#keys.set(keyId, { ...key, revoked_at: revokedAt });
    return true;
  }

  async markUsed(keyId: string, usedAt: string): Promise<void> {
    const key = this.#keys.get(keyId);
    if (key !== undefined) this.#keys.set(keyId, { ...key, last_used_at: usedAt });
  }

  /** Everything the store holds, as JSON (tests assert no secret is in it). */
  dump(): string {
    return JSON.stringify([...this.#keys.values()]);
  }
}
