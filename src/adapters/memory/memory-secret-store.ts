import type { SecretStore } from '../../kernel/agents';
import { assertSecretName, secretNameMatches } from '../../kernel/agents';

/** Secrets in memory: unit tests and the embedded default. Nothing survives the process. */
export class MemorySecretStore implements SecretStore {
  #values = new Map<string, string>();

  async put(name: string, value: string): Promise<void> {
    assertSecretName(name);
    this.#values.set(name, value);
  }

  async get(name: string): Promise<string | undefined> {
    return this.#values.get(name);
  }

  async delete(prefix: string): Promise<number> {
    assertSecretName(prefix, 'secret prefix');
    let deleted = 0;
    for (const name of [...this.#values.keys()]) {
      if (secretNameMatches(name, prefix)) {
        this.#values.delete(name);
        deleted += 1;
      }
    }
    return deleted;
  }

  /** Every name held (never the values); for tests. */
  names(): string[] {
    return [...this.#values.keys()].sort();
  }
}
