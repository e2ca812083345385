import { readCappedText } from '../../http/read-capped';
import type { KeyLike } from 'jose';
import type { TokenAlgorithm, VerificationKeySource } from './key-source';
import { KeyRing, KeysUnavailableError } from './key-source';

/**
 * Keys published by an identity provider: a JWKS URL, found directly or through the
 * OpenID discovery document. The set is cached; it is fetched again when it is older
 * than `maxAgeSeconds` or when a token names a `kid` the cache lacks (key rotation),
 * but never more than once per `refreshCooldownSeconds`, so a stream of tokens with
 * made-up `kid`s cannot make the kernel hammer the IdP. Fetch failures keep the keys
 * already held: an IdP outage does not lock out callers whose keys are known.
 */

export interface RemoteJwksOptions {
  /** The JWKS location. Give this or `discoveryUrl`. */
  readonly jwksUri?: string;
  /** An OpenID discovery document whose `jwks_uri` is used. */
  readonly discoveryUrl?: string;
  /** When set, the discovery document's `issuer` must equal it (OpenID Connect Discovery §4.3). */
  readonly expectedIssuer?: string;
  /** Least time between two fetches of the key set, in seconds. Default 30. */
  readonly refreshCooldownSeconds?: number;
  /** Age after which the cached key set is fetched again, in seconds. Default 3600. */
  readonly maxAgeSeconds?: number;
  /** Per-request timeout in ms. Default 5000. */
  readonly timeoutMs?: number;
  /** Largest discovery or JWKS body accepted, in bytes. Default 256 KiB. */
  readonly maxResponseBytes?: number;
  /** Allows plain-http URLs on hosts other than loopback. Never in production. */
  readonly allowInsecureHttp?: boolean;
  readonly fetch?: typeof fetch;
  /** Milliseconds since the epoch; injectable for tests. */
  readonly now?: () => number;
}

export const remoteJwksDefaults = {
  refreshCooldownSeconds: 30,
  maxAgeSeconds: 3600,
  timeoutMs: 5000,
  maxResponseBytes: 256 * 1024,
} as const;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/** https, or http to loopback (a test IdP, a local emulator). */
export function checkKeyUrl(value: string, allowInsecureHttp = false): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(`'${value}' is not an absolute URL`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && (allowInsecureHttp || loopbackHosts.has(url.hostname))) return url;
  throw new TypeError(`'${value}' must be an https URL (plain http is allowed for loopback hosts only)`);
}

/** The OpenID discovery document URL for an issuer (`<issuer>/.well-known/openid-configuration`). */
export function discoveryUrlFor(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

function positive(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new RangeError(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`);
  }
  return value;
}

async function readCapped(response: Response, limit: number): Promise<string> {
  const text = await readCappedText(response, limit);
  if (text === undefined) throw new Error(`response larger than ${limit} bytes`);
  return text;
}

export class RemoteJwksKeySource implements VerificationKeySource {
  private readonly jwksUri: string | undefined;
  private readonly discoveryUrl: string | undefined;
  private readonly expectedIssuer: string | undefined;
  private readonly cooldownMs: number;
  private readonly maxAgeMs: number;
  private readonly timeoutMs: number;
  private readonly maxResponseBytes: number;
  private readonly allowInsecureHttp: boolean;
  private readonly fetchFn: typeof fetch;
  private readonly now: () => number;

  private ring: KeyRing | undefined;
  private loadedAt = 0;
  private lastAttemptAt: number | undefined;
  private lastError: unknown;
  private discoveredJwksUri: string | undefined;
  private inflight: Promise<boolean> | undefined;

  constructor(options: RemoteJwksOptions) {
    if ((options.jwksUri === undefined) === (options.discoveryUrl === undefined)) {
      throw new TypeError('RemoteJwksKeySource needs exactly one of jwksUri and discoveryUrl');
    }
    this.allowInsecureHttp = options.allowInsecureHttp ?? false;
    if (options.jwksUri !== undefined) checkKeyUrl(options.jwksUri, this.allowInsecureHttp);
    if (options.discoveryUrl !== undefined) checkKeyUrl(options.discoveryUrl, this.allowInsecureHttp);
    this.jwksUri = options.jwksUri;
    this.discoveryUrl = options.discoveryUrl;
    this.expectedIssuer = options.expectedIssuer;
    this.cooldownMs =
      1000 *
      positive(
        'refreshCooldownSeconds',
        options.refreshCooldownSeconds,
        remoteJwksDefaults.refreshCooldownSeconds,
        true,
      );
    this.maxAgeMs = 1000 * positive('maxAgeSeconds', options.maxAgeSeconds, remoteJwksDefaults.maxAgeSeconds);
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, remoteJwksDefaults.timeoutMs);
    this.maxResponseBytes = positive(
      'maxResponseBytes',
      options.maxResponseBytes,
      remoteJwksDefaults.maxResponseBytes,
    );
    this.fetchFn = options.fetch ?? fetch;
    this.now = options.now ?? Date.now;
  }

  async getKey(kid: string, alg: TokenAlgorithm): Promise<KeyLike | undefined> {
    if (this.ring === undefined || this.now() - this.loadedAt >= this.maxAgeMs) {
      // A failed refresh of a stale set keeps the stale keys working.
      await this.refresh();
    }
    const ring = this.ring;
    if (ring === undefined) {
      throw new KeysUnavailableError('no verification keys have been loaded', { cause: this.lastError });
    }
    const key = await ring.find(kid, alg);
    if (key !== undefined) return key;
    // An unknown kid may be a key the IdP has just rotated in.
    if (!(await this.refresh())) return undefined;
    const refreshed = this.ring;
    return refreshed === undefined || refreshed === ring ? undefined : refreshed.find(kid, alg);
  }

  /** Why the last fetch failed, for diagnostics; undefined after a success. */
  get lastFailure(): unknown {
    return this.lastError;
  }

  /**
   * Fetches the key set unless a fetch happened within the cool-down. Concurrent
   * callers share one fetch. Resolves true when a fetch ran and succeeded.
   */
  private refresh(): Promise<boolean> {
    if (this.inflight !== undefined) return this.inflight;
    const now = this.now();
    if (this.lastAttemptAt !== undefined && now - this.lastAttemptAt < this.cooldownMs) {
      return Promise.resolve(false);
    }
    this.lastAttemptAt = now;
    this.inflight = this.load().then(
      (ring) => {
        this.ring = ring;
        this.loadedAt = now;
        this.lastError = undefined;
        return true;
      },
      (error: unknown) => {
        this.lastError = error;
        return false;
      },
    );
    const done = this.inflight;
    void done.finally(() => {
      if (this.inflight === done) this.inflight = undefined;
    });
    return done;
  }

  private async load(): Promise<KeyRing> {
    const jwksUri = this.jwksUri ?? (await this.discover());
    return KeyRing.fromJwks(await this.getJson(jwksUri));
  }

  private async discover(): Promise<string> {
    if (this.discoveredJwksUri !== undefined) return this.discoveredJwksUri;
    const document = await this.getJson(this.discoveryUrl as string);
    if (typeof document !== 'object' || document === null)
      throw new Error('discovery document is not an object');
    const { jwks_uri: jwksUri, issuer } = document as { jwks_uri?: unknown; issuer?: unknown };
    if (typeof jwksUri !== 'string') throw new Error('discovery document has no jwks_uri');
    if (
      this.expectedIssuer !== undefined &&
      (typeof issuer !== 'string' || issuer.replace(/\/+$/, '') !== this.expectedIssuer.replace(/\/+$/, ''))
    ) {
      throw new Error('discovery document names a different issuer');
    }
    checkKeyUrl(jwksUri, this.allowInsecureHttp);
    this.discoveredJwksUri = jwksUri;
    return jwksUri;
  }

  private async getJson(url: string): Promise<unknown> {
    // Redirects are refused: they could lead from https to plain http.
    const response = await this.fetchFn(url, {
      headers: { accept: 'application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new Error(`GET ${url} answered ${response.status}`);
    }
    return JSON.parse(await readCapped(response, this.maxResponseBytes)) as unknown;
  }
}
