import { importJWK } from 'jose';
import type { KeyLike } from 'jose';

/**
 * Verification keys: which JWKS entries the kernel will verify with, and the port
 * the token validator asks for a key by `kid`. Only public RSA and P-256 keys meant
 * for signatures are kept, so a symmetric (`oct`) key can never be picked up and no
 * `alg` in a token header can turn a public key into an HMAC secret.
 */

/** The signature algorithms the kernel accepts; nothing else is ever verified. */
export const tokenAlgorithms = ['RS256', 'ES256'] as const;
export type TokenAlgorithm = (typeof tokenAlgorithms)[number];

export function isTokenAlgorithm(value: unknown): value is TokenAlgorithm {
  return typeof value === 'string' && (tokenAlgorithms as readonly string[]).includes(value);
}

/** A JSON Web Key Set as it arrives over the wire: anything with a `keys` array. */
export interface JsonWebKeySetLike {
  readonly keys: readonly unknown[];
}

/** Where the validator gets the key for a token's `kid`. */
export interface VerificationKeySource {
  /**
   * The key named `kid` that can verify `alg`, or `undefined` when there is none
   * (after whatever refresh the source's own policy allows). Throws
   * KeysUnavailableError when the source has no keys at all to look in.
   */
  getKey(kid: string, alg: TokenAlgorithm): Promise<KeyLike | undefined>;
}

/** The key source has never loaded a key set (e.g. the IdP was unreachable since start). */
export class KeysUnavailableError extends Error {
  override readonly name = 'KeysUnavailableError';
}

type PublicJwk = { kty: 'RSA'; n: string; e: string } | { kty: 'EC'; crv: 'P-256'; x: string; y: string };

interface KeyEntry {
  readonly kid: string;
  readonly alg: TokenAlgorithm;
  readonly jwk: PublicJwk;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function nonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * The verification entry for one JWKS member, or undefined when the kernel must not
 * use it: no `kid`, not for signatures, an algorithm outside the allow-list, or a
 * key type other than RSA / EC P-256. Private members are dropped.
 */
function entryFor(member: unknown): KeyEntry | undefined {
  if (!isRecord(member) || !nonEmpty(member['kid'])) return undefined;
  const kid = member['kid'];
  const use = member['use'];
  if (use !== undefined && use !== 'sig') return undefined;
  const ops = member['key_ops'];
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes('verify'))) return undefined;
  const declared = member['alg'];
  if (member['kty'] === 'RSA' && nonEmpty(member['n']) && nonEmpty(member['e'])) {
    if (declared !== undefined && declared !== 'RS256') return undefined;
    return { kid, alg: 'RS256', jwk: { kty: 'RSA', n: member['n'], e: member['e'] } };
  }
  if (member['kty'] === 'EC' && member['crv'] === 'P-256' && nonEmpty(member['x']) && nonEmpty(member['y'])) {
    if (declared !== undefined && declared !== 'ES256') return undefined;
    return { kid, alg: 'ES256', jwk: { kty: 'EC', crv: 'P-256', x: member['x'], y: member['y'] } };
  }
  return undefined;
}

/**
 * An immutable set of verification keys with their imported forms cached. A JWKS
 * that yields no usable key is refused: trusting "no keys" silently would turn every
 * request into a 401 with nothing in the log to say why.
 */
export class KeyRing {
  private readonly entries: ReadonlyMap<string, KeyEntry>;
  private readonly imported = new Map<string, Promise<KeyLike | undefined>>();

  private constructor(entries: ReadonlyMap<string, KeyEntry>) {
    this.entries = entries;
  }

  static fromJwks(jwks: unknown): KeyRing {
    if (!isRecord(jwks) || !Array.isArray(jwks['keys'])) {
      throw new TypeError('a JWKS must be an object with a "keys" array');
    }
    const entries = new Map<string, KeyEntry>();
    for (const member of jwks['keys'] as unknown[]) {
      const entry = entryFor(member);
      // Two usable keys under one kid would make the choice ambiguous: keep the first.
      if (entry !== undefined && !entries.has(`${entry.kid}\u0000${entry.alg}`)) {
        entries.set(`${entry.kid}\u0000${entry.alg}`, entry);
      }
    }
    if (entries.size === 0) throw new TypeError('the JWKS holds no RS256 or ES256 signing key with a kid');
    return new KeyRing(entries);
  }

  find(kid: string, alg: TokenAlgorithm): Promise<KeyLike | undefined> {
    const id = `${kid}\u0000${alg}`;
    const entry = this.entries.get(id);
    if (entry === undefined) return Promise.resolve(undefined);
    let key = this.imported.get(id);
    if (key === undefined) {
      // A member whose numbers do not form a valid key is treated as absent.
      key = importJWK({ ...entry.jwk }, entry.alg).then(
        (imported) => (imported instanceof Uint8Array ? undefined : imported),
        () => undefined,
      );
      this.imported.set(id, key);
    }
    return key;
  }
}

/** A fixed key set: the local issuer's public key, or keys given in configuration. */
export class StaticKeySource implements VerificationKeySource {
  private readonly ring: KeyRing;

  constructor(jwks: JsonWebKeySetLike) {
    this.ring = KeyRing.fromJwks(jwks);
  }

  getKey(kid: string, alg: TokenAlgorithm): Promise<KeyLike | undefined> {
    return this.ring.find(kid, alg);
  }
}
