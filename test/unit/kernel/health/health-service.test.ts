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

describe('HealthService result reuse', () => {
  function counting() {
    let calls = 0;
    let release: () => void = () => undefined;
    let gate: Promise<void> = Promise.resolve();
    const check: HealthCheck = {
      name: 'storage',
      required: true,
      check: async () => {
        calls += 1;
        await gate;
        return { status: 'ok', detail: `check ${calls}` };
      },
    };
    return {
      check,
      calls: () => calls,
      hold: () => {
        gate = new Promise<void>((resolve) => (release = resolve));
      },
      release: () => release(),
    };
  }

  it('shares one running check among concurrent requests', async () => {
    const probe = counting();
    probe.hold();
    const service = new HealthService([probe.check], { ...options, cacheMs: 0 });
    const reports = Array.from({ length: 20 }, () => service.report());
    probe.release();
    const settled = await Promise.all(reports);
    expect(probe.calls()).toBe(1);
    expect(new Set(settled).size).toBe(1);
    // With cacheMs 0, the next request checks again.
    await service.report();
    expect(probe.calls()).toBe(2);
  });

  it('reuses a report for cacheMs, then checks again', async () => {
    const probe = counting();
    let now = 1_000;
    const service = new HealthService([probe.check], { ...options, cacheMs: 1_000, monotonic: () => now });
    const first = await service.report();
    now += 999;
    expect(await service.report()).toBe(first);
    expect(probe.calls()).toBe(1);
    now += 1;
    const second = await service.report();
    expect(probe.calls()).toBe(2);
    expect(second.checks['storage']?.detail).toBe('check 2');
  });

  it('does not reuse a check that threw, nor keep it running', async () => {
    let calls = 0;
    const service = new HealthService(
      [
        {
          name: 'x',
          required: true,
          check: async () => {
            calls += 1;
            return { status: 'ok', detail: 'fine' };
          },
        },
      ],
      { ...options, cacheMs: 60_000, now: () => (calls === 1 ? new Date(Number.NaN) : new Date(0)) },
    );
    await expect(service.report()).rejects.toThrow(RangeError);
    await expect(service.report()).resolves.toMatchObject({ status: 'healthy' });
    expect(calls).toBe(2);
  });
});
