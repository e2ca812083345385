import {
  LocalIssuer,
  cachingTokenValidator,
  combineTokenValidators,
  generateLocalIssuerKey,
} from '../src/kernel/auth/tokens';
import type { BearerTokenValidator } from '../src/kernel/auth/tokens';
import type { ProgressLog, SuiteReport, Table } from './report';
import { fmt, median, round } from './report';

/**
 * The auth suite: bearer-token validations per second for a client that sends the
 * same token with every request (the common case), through the kernel's validator
 * chain (combineTokenValidators over the local issuer, ES256) with and without the
 * validated-token cache, alternating in rounds in one process. Tokens are the
 * local issuer's; an Entra token costs the same signature check (RS256).
 */

export interface AuthBenchOptions {
  readonly quick?: boolean;
  readonly log?: ProgressLog;
}

async function rate(
  validator: BearerTokenValidator,
  tokens: readonly string[],
  rounds: number,
): Promise<number> {
  const started = performance.now();
  for (let round = 0; round < rounds; round += 1) {
    for (const token of tokens) await validator.validate(token);
  }
  return (rounds * tokens.length) / ((performance.now() - started) / 1000);
}

export async function runAuthBench(options: AuthBenchOptions = {}): Promise<SuiteReport> {
  const log = options.log ?? (() => undefined);
  const quick = options.quick ?? false;
  const issuer = await LocalIssuer.fromKey(await generateLocalIssuerKey());
  // Ten clients, each with its own token, each calling repeatedly.
  const tokens = await Promise.all(
    Array.from(
      { length: 10 },
      async (_, index) =>
        (await issuer.issue({ sub: `client-${index}`, roles: ['reader'], ttlSeconds: 3600 })).token,
    ),
  );
  const plain = combineTokenValidators([issuer.validator()]);
  const cached = cachingTokenValidator(combineTokenValidators([issuer.validator()]));
  const repeats = quick ? 50 : 300;
  const rounds = quick ? 3 : 7;
  const plainRates: number[] = [];
  const cachedRates: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    log(`auth: round ${round + 1}/${rounds}...`);
    plainRates.push(await rate(plain, tokens, repeats));
    cachedRates.push(await rate(cached, tokens, repeats));
  }
  const plainMedian = median(plainRates);
  const cachedMedian = median(cachedRates);
  const table: Table = {
    title: 'Bearer token validations per second (same token per client, 10 clients; median of rounds)',
    columns: ['validator', 'validations/s', 'vs full check'],
    rows: [
      ['full check every time', fmt(plainMedian), '1x'],
      ['validated-token cache', fmt(cachedMedian), `${fmt(cachedMedian / plainMedian)}x`],
    ],
    notes: ['the cache keeps a token for at most 5 minutes and never past exp; refusals are never cached.'],
  };
  return {
    suite: 'auth',
    tables: [table],
    data: {
      plainPerSecond: round(plainMedian, 1),
      cachedPerSecond: round(cachedMedian, 1),
      ratio: round(cachedMedian / plainMedian, 1),
      settings: { clients: tokens.length, repeats, rounds },
    },
  };
}
