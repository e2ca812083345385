import { describe, expect, it } from 'vitest';

/** The testing API is importable the way users import it: `aos-kernel/testing`. */
describe('aos-kernel/testing', () => {
  it('resolves through the package exports to the built module with typings', async () => {
    const resolved = require.resolve('aos-kernel/testing');
    expect(resolved).toMatch(/dist[/\\]src[/\\]testing[/\\]index\.js$/);
    // Loaded by name at run time; the test's tsconfig resolves modules node10-style, without exports.
    const specifier = 'aos-kernel/testing';
    const testing = (await import(specifier)) as Record<string, unknown>;
    expect(typeof testing['createTestHost']).toBe('function');
    expect(typeof testing['VirtualClock']).toBe('function');
    expect(require.resolve('aos-kernel/package.json')).toMatch(/package\.json$/);
  });
});
