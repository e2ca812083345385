import { describe, expect, it } from 'vitest';
import {
  HostJsonError,
  parseHostJson,
  parseTimeSpan,
  resolveAppSettingExpression,
} from '../../../../src/host/app/host-json';

describe('parseHostJson', () => {
  it('defaults the route prefix to api and the timeout to 30 minutes', () => {
    const settings = parseHostJson({ version: '2.0' });
    expect(settings.routePrefix).toBe('api');
    expect(settings.functionTimeoutMs).toBe(30 * 60 * 1000);
  });

  it('reads a custom or empty route prefix and a timeout', () => {
    expect(parseHostJson({ extensions: { http: { routePrefix: '/v1/' } } }).routePrefix).toBe('v1');
    expect(parseHostJson({ extensions: { http: { routePrefix: '' } } }).routePrefix).toBe('');
    expect(parseHostJson({ functionTimeout: '00:00:05' }).functionTimeoutMs).toBe(5000);
    expect(parseHostJson({ functionTimeout: -1 }).functionTimeoutMs).toBeUndefined();
  });

  it('rejects malformed documents', () => {
    expect(() => parseHostJson([])).toThrow(HostJsonError);
    expect(() => parseHostJson({ functionTimeout: '5 minutes' })).toThrow(/functionTimeout/);
    expect(() => parseHostJson({ extensions: { http: { routePrefix: 3 } } })).toThrow(/routePrefix/);
  });

  it('reads TimeSpans with days and fractions', () => {
    expect(parseTimeSpan('1.02:03:04.5')).toBe(((26 * 60 + 3) * 60 + 4) * 1000 + 500);
    expect(parseTimeSpan('nope')).toBeUndefined();
  });

  it('resolves %SETTING% expressions and names a missing setting', () => {
    expect(resolveAppSettingExpression('%A%-%B%', { A: '1', B: '2' })).toBe('1-2');
    expect(() => resolveAppSettingExpression('%MISSING%', {})).toThrow(/MISSING/);
  });
});

describe('host.json logging.logLevel', () => {
  it('defaults to Information for every category', () => {
    const { logLevels } = parseHostJson({ version: '2.0' });
    expect(logLevels.enabled('Function.any', 'information')).toBe(true);
    expect(logLevels.enabled('Function.any', 'debug')).toBe(false);
  });

  it('applies the longest matching category prefix, case-insensitively, then default', () => {
    const { logLevels } = parseHostJson({
      version: '2.0',
      logging: {
        logLevel: {
          default: 'Warning',
          Function: 'Error',
          'Function.orders.User': 'Trace',
          'function.pay': 'None',
        },
      },
    });
    expect(logLevels.enabled('Host.Startup', 'information')).toBe(false);
    expect(logLevels.enabled('Host.Startup', 'warning')).toBe(true);
    expect(logLevels.enabled('Function.orders', 'warning')).toBe(false);
    expect(logLevels.enabled('Function.orders', 'error')).toBe(true);
    expect(logLevels.enabled('Function.orders.User', 'debug')).toBe(true);
    expect(logLevels.enabled('Function.Pay', 'critical')).toBe(false);
    // A prefix matches whole segments only.
    expect(logLevels.enabled('Function.payroll', 'error')).toBe(true);
  });

  it('refuses values the Functions host would not accept', () => {
    expect(() => parseHostJson({ logging: { logLevel: { default: 'Verbose' } } })).toThrow(
      /logging\.logLevel\.default must be one of/,
    );
    expect(() => parseHostJson({ logging: { logLevel: 'Information' } })).toThrow(/must be an object/);
  });
});
