import type { ApiKeyService, Principal, RateLimiter } from './access';
import { credentialFrom, enforceRateLimit } from './access';
import { clientPrincipalHeader, principalFromClientPrincipal } from './client-principal';
import type { AppBindingOptions, BearerTokenValidator } from './tokens';
import { KernelError } from '../errors';
import { AppBinding, AuthenticationFailure } from './tokens';

export interface AuthenticatorOptions {
  readonly bearer: BearerTokenValidator | undefined;
  readonly apiKeys: ApiKeyService;
  readonly limiter: RateLimiter;
  /**
   * Whether App Service Authentication's `x-ms-client-principal` header decides who
   * is calling (AOS_TRUST_CLIENT_PRINCIPAL). Only safe when App Service
   * Authentication sits in front and strips that header from what clients send.
   */
  readonly trustClientPrincipal: boolean;
  /** How a client principal binds its caller to a kernel app; by default as bearer tokens do. */
  readonly appBinding?: AppBindingOptions;
  /**
   * Issuers a client principal's `iss` must be one of (AOS_AUTH_ISSUERS). Empty:
   * whatever Easy Auth accepted.
   */
  readonly clientPrincipalIssuers?: readonly string[];
}

/**
 * Who is calling: App Service Authentication's client principal when configuration
 * trusts it and the request carries one, otherwise the credential in the request (a
 * bearer token or an API key), turned into a principal; then one token from that
 * principal's rate-limit bucket. No credential at all is not an error here; routes
 * decide (public ones accept it, the rest answer 401 through authorizeOperation).
 */
export class Authenticator {
  private readonly binding: AppBinding;

  constructor(private readonly options: AuthenticatorOptions) {
    this.binding = new AppBinding(options.appBinding);
  }

  /**
   * @param method the request's method, when known: a POST that App Service
   *   Authentication vouches for must be JSON (see requireJsonPost).
   */
  async authenticate(
    headers: { get(name: string): string | null },
    method?: string,
  ): Promise<Principal | undefined> {
    const fromHeader = this.fromClientPrincipal(headers);
    if (fromHeader !== undefined && method !== undefined) requireJsonPost(method, headers);
    const principal = fromHeader ?? (await this.fromCredential(headers));
    if (principal === undefined) return undefined;
    enforceRateLimit(this.options.limiter, principal.id);
    return principal;
  }

  /** Undefined when the header is not trusted (never read at all) or not sent. */
  private fromClientPrincipal(headers: { get(name: string): string | null }): Principal | undefined {
    if (!this.options.trustClientPrincipal) return undefined;
    const header = headers.get(clientPrincipalHeader);
    return header === null
      ? undefined
      : principalFromClientPrincipal(header, this.binding, this.options.clientPrincipalIssuers ?? []);
  }

  private async fromCredential(headers: {
    get(name: string): string | null;
  }): Promise<Principal | undefined> {
    const credential = credentialFrom(headers);
    if (credential === undefined) return undefined;
    if (credential.kind === 'api_key') return this.options.apiKeys.authenticate(credential.value);
    if (!this.options.bearer) throw new AuthenticationFailure('wrong_issuer');
    return this.options.bearer.validate(credential.value);
  }
}

/**
 * Easy Auth may vouch for a browser through its session cookie, which the browser
 * attaches to cross-site requests too. The only cross-site request a page can send
 * without a CORS preflight that changes state is a POST with a form-like body
 * (text/plain, application/x-www-form-urlencoded, multipart/form-data); every
 * kernel POST takes JSON, so a POST authenticated by the header must say
 * application/json, even with an empty body. Other methods always need a preflight.
 */
function requireJsonPost(method: string, headers: { get(name: string): string | null }): void {
  if (method.toUpperCase() !== 'POST') return;
  const type = (headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/json' || /^application\/[a-z0-9.+-]*\+json$/.test(type)) return;
  throw new KernelError('unsupported_media_type', 'Unsupported Media Type', {
    detail:
      'A POST authenticated by App Service Authentication must send Content-Type: application/json, even without a body (cross-site request forgery protection).',
  });
}
