import type { HostKind } from '../environment';

/**
 * Health: runs every dependency check concurrently, each under a deadline, and
 * reports the contract's body. A required check that is down makes the kernel
 * `degraded` (HTTP 503); optional checks only add detail.
 */

export type CheckStatus = 'ok' | 'down';

export interface CheckResult {
  readonly status: CheckStatus;
  /** Safe for callers: no endpoints with credentials, no stack traces. */
  readonly detail: string;
}

export interface HealthCheck {
  readonly name: string;
  readonly required: boolean;
  check(signal: AbortSignal): Promise<CheckResult>;
}

export interface HealthCheckReport extends CheckResult {
  readonly required: boolean;
  readonly duration_ms: number;
}

export interface HealthReport {
  readonly app: 'aos-kernel';
  readonly status: 'healthy' | 'degraded';
  readonly version: string;
  readonly host: HostKind;
  readonly checked_at: string;
  readonly checks: Readonly<Record<string, HealthCheckReport>>;
}

export interface HealthServiceOptions {
  readonly version: string;
  readonly host: HostKind;
  readonly timeoutMs: number;
  /**
   * How long a report is reused, in ms (0: never). Requests that arrive while a
   * check runs wait for that check instead of starting another, so a burst of
   * health requests, anonymous ones included, costs storage one round of checks.
   */
  readonly cacheMs?: number;
  readonly now?: () => Date;
  /** Monotonic milliseconds, for the cache's age; injectable for tests. */
  readonly monotonic?: () => number;
}

export class HealthService {
  private cached: { readonly report: HealthReport; readonly at: number } | undefined;
  private running: Promise<HealthReport> | undefined;

  constructor(
    private readonly checks: readonly HealthCheck[],
    private readonly options: HealthServiceOptions,
  ) {}

  /** The latest report: fresh, shared with a check already running, or reused within cacheMs. */
  report(): Promise<HealthReport> {
    const clock = this.options.monotonic ?? (() => performance.now());
    const cacheMs = this.options.cacheMs ?? 0;
    if (this.cached && clock() - this.cached.at < cacheMs) return Promise.resolve(this.cached.report);
    this.running ??= this.check().then(
      (report) => {
        this.running = undefined;
        this.cached = { report, at: clock() };
        return report;
      },
      (error: unknown) => {
        this.running = undefined;
        throw error;
      },
    );
    return this.running;
  }

  private async check(): Promise<HealthReport> {
    const now = this.options.now ?? (() => new Date());
    const results = await Promise.all(this.checks.map((check) => this.run(check)));
    const checks: Record<string, HealthCheckReport> = {};
    for (const [index, check] of this.checks.entries()) checks[check.name] = results[index]!;
    const healthy = results.every((result) => !result.required || result.status === 'ok');
    return {
      app: 'aos-kernel',
      status: healthy ? 'healthy' : 'degraded',
      version: this.options.version,
      host: this.options.host,
      checked_at: now().toISOString(),
      checks,
    };
  }

  private async run(check: HealthCheck): Promise<HealthCheckReport> {
    const started = performance.now();
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<CheckResult>((resolve) => {
      timer = setTimeout(() => {
        controller.abort();
        resolve({ status: 'down', detail: `no answer within ${this.options.timeoutMs} ms` });
      }, this.options.timeoutMs);
    });
    try {
      const result = await Promise.race([
        check
          .check(controller.signal)
          .catch((error: unknown): CheckResult => ({ status: 'down', detail: describeFailure(error) })),
        deadline,
      ]);
      return { ...result, required: check.required, duration_ms: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A short, secret-free description of why a dependency call failed. */
export function describeFailure(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, statusCode, name } = error as { code?: unknown; statusCode?: unknown; name?: unknown };
    if (typeof code === 'string' && code !== '') return `unreachable (${code})`;
    if (typeof statusCode === 'number') return `answered HTTP ${statusCode}`;
    if (name === 'AbortError') return 'aborted';
  }
  return 'unreachable';
}
