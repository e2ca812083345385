import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, localSampleValues, settingDescriptors } from '../../../../src/kernel/config';

const root = path.resolve(__dirname, '../../../..');
const sample = JSON.parse(readFileSync(path.join(root, 'local.settings.sample.json'), 'utf8')) as {
  Values: Record<string, string>;
};

describe('local.settings.sample.json', () => {
  it('holds exactly the config schema keys with their local values', () => {
    expect(sample.Values).toEqual(localSampleValues());
  });

  it('holds no identity-based production keys', () => {
    const identityKeys = settingDescriptors.flatMap((d) => d.identityKeys ?? []);
    for (const key of Object.keys(sample.Values)) expect(identityKeys).not.toContain(key);
  });

  it('is a configuration the kernel accepts under the local runtime', () => {
    const config = loadConfig({ ...sample.Values, AOS_LOCAL_RUNTIME: '1' });
    expect(config.host).toBe('local-runtime');
    expect(config.serviceBus).toMatchObject({ kind: 'connectionString', emulated: true });
  });
});
