import type { ApiKeyService, Principal, RateLimiter } from './access';
import { credentialFrom, enforceRateLimit } from './access';
import type { BearerTokenValidator } from './tokens';
import { AuthenticationFailure } from './tokens';

/**
 * Who is calling: the credential in the request (a bearer token or an API key)
 * turned into a principal, then one token from that principal's rate-limit
 * bucket. No credential at all is not an error here; routes decide (public
 * ones accept it, the rest answer 401 through authorizeOperation).
 */
export class Authenticator {
  constructor(
    private readonly options: {
      readonly bearer: BearerTokenValidator | undefined;
      readonly apiKeys: ApiKeyService;
      readonly limiter: RateLimiter;
    },
  ) {}

  async authenticate(headers: { get(name: string): string | null }): Promise<Principal | undefined> {
    const credential = credentialFrom(headers);
    if (credential === undefined) return undefined;
    let principal: Principal;
    if (credential.kind === 'api_key') {
      principal = await this.options.apiKeys.authenticate(credential.value);
    } else {
      if (!this.options.bearer) throw new AuthenticationFailure('wrong_issuer');
      principal = await this.options.bearer.validate(credential.value);
    }
    enforceRateLimit(this.options.limiter, principal.id);
    return principal;
  }
}
