import { describe, expect, it } from 'vitest';
import { isAppServiceAuthEnabled } from '../../../../src/kernel/environment';

describe('isAppServiceAuthEnabled', () => {
  it.each([
    [{ WEBSITE_AUTH_ENABLED: 'True' }, true],
    [{ WEBSITE_AUTH_ENABLED: 'true' }, true],
    [{ WEBSITE_AUTH_ENABLED: ' TRUE ' }, true],
    [{ WEBSITE_AUTH_ENABLED: 'False' }, false],
    [{ WEBSITE_AUTH_ENABLED: '1' }, false],
    [{ WEBSITE_AUTH_ENABLED: '' }, false],
    [{}, false],
  ])('%j → %s', (env, expected) => {
    expect(isAppServiceAuthEnabled(env)).toBe(expected);
  });
});
