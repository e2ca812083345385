import { describe, expect, it } from 'vitest';
import { detectHostKind } from '../../../../src/kernel/environment';

describe('detectHostKind', () => {
  it.each([
    [{ AOS_LOCAL_RUNTIME: '1', WEBSITE_SITE_NAME: 'x' }, 'local-runtime'],
    [{ FUNCTIONS_CORETOOLS_ENVIRONMENT: 'true' }, 'core-tools'],
    [{ WEBSITE_INSTANCE_ID: 'abc' }, 'azure'],
    [{ WEBSITE_SITE_NAME: 'aos-api' }, 'azure'],
    [{ CONTAINER_NAME: 'some-sandbox' }, 'unknown'],
    [{}, 'unknown'],
  ] as const)('reads %j as %s', (env, kind) => {
    expect(detectHostKind(env)).toBe(kind);
  });
});
