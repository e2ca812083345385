import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The workflow module runs inside replaying orchestrator generators, so it must be
 * deterministic: this guard fails if a file reaches for the clock, randomness, the
 * environment, I/O, or imports anything beyond zod and the kernel's own types.
 */

const folder = path.resolve(__dirname, '../../../../src/kernel/workflows');
const sources = readdirSync(folder).filter((name) => name.endsWith('.ts'));

const forbidden: readonly [RegExp, string][] = [
  [/Date\.now\s*\(/, 'Date.now()'],
  [/new Date\(\s*\)/, 'new Date() without an argument'],
  [/Math\.random\s*\(/, 'Math.random()'],
  [/process\./, 'process.*'],
  [/crypto\./, 'crypto.*'],
  [/setTimeout|setInterval|setImmediate/, 'timers'],
  [/\bfetch\s*\(/, 'fetch()'],
  [/performance\.now/, 'performance.now()'],
];

const allowedImports = [/^zod$/, /^\.\/[a-z-]+$/, /^\.\.\/errors$/, /^\.\.\/agents\/types$/];

function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:from\s+|require\(\s*|import\(\s*|import\s+)['"]([^'"]+)['"]/g)].map(
    (match) => match[1]!,
  );
}

describe('src/kernel/workflows purity', () => {
  it('has sources to check', () => {
    expect(sources).toContain('collaborative.ts');
  });

  it.each(sources)('%s uses no clock, randomness, environment or I/O', (name) => {
    const text = readFileSync(path.join(folder, name), 'utf8');
    const found = forbidden.filter(([pattern]) => pattern.test(text)).map(([, what]) => what);
    expect(found).toEqual([]);
  });

  it.each(sources)('%s imports only zod, its siblings, errors and agent types', (name) => {
    const text = readFileSync(path.join(folder, name), 'utf8');
    const stray = importsOf(text).filter(
      (specifier) => !allowedImports.some((pattern) => pattern.test(specifier)),
    );
    expect(stray).toEqual([]);
  });
});
