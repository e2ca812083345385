/**
 * A circuit breaker per agent. After `failureThreshold` consecutive failures the
 * circuit opens: calls fail fast for `cooldownMs`; then one trial call goes through
 * (half-open) while others still fail fast. The trial's success closes the circuit,
 * its failure opens it for another cool-down. State is per process: each scaled-out
 * instance learns about a failing agent on its own, which bounds the harm per instance.
 */

export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  readonly failureThreshold?: number;
  /** How long an open circuit fails fast before a trial call (default 30 s). */
  readonly cooldownMs?: number;
  readonly now?: () => number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';

interface Circuit {
  failures: number;
  openedAt: number | undefined;
  trialInFlight: boolean;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private readonly circuits = new Map<string, Circuit>();

  constructor(options: CircuitBreakerOptions = {}) {
    this.failureThreshold = Math.max(1, options.failureThreshold ?? 5);
    this.cooldownMs = Math.max(0, options.cooldownMs ?? 30_000);
    this.now = options.now ?? (() => Date.now());
  }

  state(key: string): CircuitState {
    const circuit = this.circuits.get(key);
    if (circuit?.openedAt === undefined) return 'closed';
    return this.now() - circuit.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  /**
   * Whether a call may go out now. In half-open state the first caller gets the
   * trial and must report its outcome (success or failure); others are refused.
   */
  tryAcquire(key: string): boolean {
    const circuit = this.circuits.get(key);
    if (circuit?.openedAt === undefined) return true;
    if (this.now() - circuit.openedAt < this.cooldownMs || circuit.trialInFlight) return false;
    circuit.trialInFlight = true;
    return true;
  }

  /** When an open circuit lets a trial through, in ms since the epoch of `now`. */
  retryAt(key: string): number | undefined {
    const openedAt = this.circuits.get(key)?.openedAt;
    return openedAt === undefined ? undefined : openedAt + this.cooldownMs;
  }

  success(key: string): void {
    this.circuits.delete(key);
  }

  failure(key: string): void {
    const circuit = this.circuits.get(key) ?? { failures: 0, openedAt: undefined, trialInFlight: false };
    circuit.failures += 1;
    if (circuit.trialInFlight || circuit.failures >= this.failureThreshold) {
      circuit.openedAt = this.now();
      circuit.trialInFlight = false;
    }
    this.circuits.set(key, circuit);
  }
}
