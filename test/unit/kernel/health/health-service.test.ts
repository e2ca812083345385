import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../../../src/kernel/health';
import { HealthService, describeFailure } from '../../../../src/kernel/health';

const ok = (name: string, required = true): HealthCheck => ({
  name,
  required,
  check: async () => ({ status: 'ok', detail: 'fine' }),
});
const failing = (name: string, required = true): HealthCheck => ({
  name,
  required,
  check: async () => {
    throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1 AccountKey=zzz'), {
      code: 'ECONNREFUSED',
    });
  },
});
const hanging = (name: string): HealthCheck => ({
  name,
  required: true,
  check: (signal) =>
    new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
});

const options = {
  version: '1.0.0',
  host: 'unknown' as const,
  timeoutMs: 50,
  now: () => new Date('2026-01-01T00:00:00Z'),
};

describe('HealthService', () => {
  it('is healthy when every required check passes', async () => {
    const report = await new HealthService([ok('a'), failing('b', false)], options).report();
    expect(report).toMatchObject({
      app: 'aos-kernel',
      status: 'healthy',
      version: '1.0.0',
      checked_at: '2026-01-01T00:00:00.000Z',
    });
    expect(report.checks['a']).toMatchObject({ status: 'ok', required: true });
    expect(report.checks['b']).toMatchObject({ status: 'down', required: false });
  });

  it('is degraded when a required check fails, without leaking the error text', async () => {
    const report = await new HealthService([ok('a'), failing('storage')], options).report();
    expect(report.status).toBe('degraded');
    expect(report.checks['storage']).toMatchObject({ status: 'down', detail: 'unreachable (ECONNREFUSED)' });
    expect(JSON.stringify(report)).not.toContain('AccountKey');
  });

  it('calls a check that does not answer in time down and aborts it', async () => {
    const report = await new HealthService([hanging('slow')], options).report();
    expect(report.status).toBe('degraded');
    expect(report.checks['slow']?.detail).toBe('no answer within 50 ms');
  });

  it('describes failures without their messages', () => {
    expect(describeFailure({ statusCode: 403, message: 'secret' })).toBe('answered HTTP 403');
    expect(describeFailure(new Error('anything'))).toBe('unreachable');
  });
});
