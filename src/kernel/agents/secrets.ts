import { KernelError } from '../errors';
import type { SecretStore } from './ports';
import type { SecretReference, SecretResolver } from './types';
import { TransportError } from './types';

/**
 * Secret naming, matching and masking, shared by the agent service, the transports
 * and every SecretStore implementation so they agree on what a name and a prefix
 * mean.
 */

export const maskedValue = '***';

const maxSecretNameChars = 512;

/** Names are printable, at most 512 characters; `/` separates segments. */
export function assertSecretName(name: string, what = 'secret name'): void {
  // eslint-disable-next-line no-control-regex
  if (name === '' || name.length > maxSecretNameChars || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new KernelError('bad_request', `Invalid ${what}`, {
      detail: `A ${what} is 1 to ${maxSecretNameChars} printable characters.`,
    });
  }
}

/** Whether `name` is `prefix` itself or beneath it (see SecretStore.delete). */
export function secretNameMatches(name: string, prefix: string): boolean {
  if (prefix.endsWith('/')) return name.startsWith(prefix);
  return name === prefix || name.startsWith(`${prefix}/`);
}

/** Every secret an agent owns lives beneath this. */
export function agentSecretPrefix(agentId: string): string {
  return `agent/${agentId}/`;
}

/** e.g. `agent/billing/header/Authorization`. */
export function agentSecretName(agentId: string, segment: string, key: string): string {
  return `${agentSecretPrefix(agentId)}${segment}/${key}`;
}

export function isSecretReference(value: unknown): value is SecretReference {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { secret_ref?: unknown }).secret_ref === 'string'
  );
}

/** Every secret reference inside a value (a stored transport config). */
export function collectSecretReferences(value: unknown, found: string[] = [], depth = 0): string[] {
  if (depth > 32 || typeof value !== 'object' || value === null) return found;
  if (isSecretReference(value)) {
    found.push(value.secret_ref);
    return found;
  }
  for (const item of Array.isArray(value) ? value : Object.values(value))
    collectSecretReferences(item, found, depth + 1);
  return found;
}

/** Keys whose string values are treated as secrets even when stored in clear (defence in depth). */
const sensitiveKey = /secret|password|passwd|token|authorization|api[-_]?key|credential|signature/i;

/**
 * A copy with every secret reference, and every value under a key that sounds
 * secret, replaced by `***`. Never throws: whatever cannot be copied is masked.
 */
export function maskSecrets(value: unknown, depth = 0): unknown {
  try {
    if (depth > 32) return maskedValue;
    if (typeof value !== 'object' || value === null) return value;
    if (isSecretReference(value)) return maskedValue;
    if (Array.isArray(value)) return value.map((item) => maskSecrets(item, depth + 1));
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      copy[key] =
        sensitiveKey.test(key) && typeof item === 'string' ? maskedValue : maskSecrets(item, depth + 1);
    }
    return copy;
  } catch {
    return maskedValue;
  }
}

/** Resolves references against a store; a missing secret is a non-retryable transport failure. */
export function createSecretResolver(store: SecretStore): SecretResolver {
  return {
    async resolve(reference: SecretReference): Promise<string> {
      const value = await store.get(reference.secret_ref);
      if (value === undefined) {
        throw new TransportError(
          `secret '${reference.secret_ref}' is missing from the secret store; register the agent again`,
          false,
          undefined,
          { code: 'secret_missing' },
        );
      }
      return value;
    },
  };
}
