import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Guards the architecture in design.md: the kernel imports no Azure or Functions
 * library and no outer layer; only src/functions touches the Functions libraries.
 */

const src = path.resolve(__dirname, '../../../src');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const full = path.join(dir, entry);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const found: string[] = [];
  for (const match of text.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]([^'"]+)['"]/g)) {
    found.push(match[1]!);
  }
  return found;
}

function relativeLayer(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = path.relative(src, path.resolve(path.dirname(file), specifier));
  return target.split(path.sep)[0];
}

describe('layering', () => {
  it('keeps src/kernel free of Azure SDKs, Functions libraries and outer layers', () => {
    const offenders: string[] = [];
    for (const file of files(path.join(src, 'kernel'))) {
      for (const specifier of imports(file)) {
        const layer = relativeLayer(file, specifier);
        if (
          specifier.startsWith('@azure/') ||
          specifier.startsWith('durable-functions') ||
          (layer !== undefined && layer !== 'kernel')
        ) {
          offenders.push(`${path.relative(src, file)} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('lets only src/functions import @azure/functions or durable-functions', () => {
    const offenders: string[] = [];
    for (const file of files(src)) {
      if (file.startsWith(path.join(src, 'functions') + path.sep)) continue;
      for (const specifier of imports(file)) {
        if (specifier === '@azure/functions' || specifier.startsWith('durable-functions')) {
          offenders.push(`${path.relative(src, file)} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('keeps the local runtime out of the kernel, adapters and functions', () => {
    const offenders: string[] = [];
    for (const layer of ['kernel', 'adapters', 'functions', 'composition']) {
      for (const file of files(path.join(src, layer))) {
        for (const specifier of imports(file)) {
          if (relativeLayer(file, specifier) === 'host')
            offenders.push(`${path.relative(src, file)} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
