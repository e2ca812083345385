import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Expands the glob forms that `package.json` `main` may use in a Functions app
 * (`dist/src/functions/*.js`, `dist/**\/*.js`). Only `*`, `?` and `**` are needed;
 * Node 20 has no fs.glob.
 */
export function expandGlob(root: string, pattern: string): string[] {
  const segments = pattern
    .replace(/\\/g, '/')
    .replace(/^\.\//, '')
    .split('/')
    .filter((s) => s !== '');
  const results: string[] = [];
  walk(root, segments, results);
  return [...new Set(results)].sort();
}

export function hasGlob(pattern: string): boolean {
  return /[*?]/.test(pattern);
}

function segmentRegex(segment: string): RegExp {
  const body = segment
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function isDirectory(file: string): boolean {
  try {
    return statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function walk(dir: string, segments: readonly string[], results: string[]): void {
  const [head, ...rest] = segments;
  if (head === undefined) {
    if (!isDirectory(dir)) results.push(dir);
    return;
  }
  if (head === '**') {
    walk(dir, rest, results);
    for (const entry of listDir(dir)) {
      if (entry === 'node_modules') continue;
      const child = path.join(dir, entry);
      if (isDirectory(child)) walk(child, segments, results);
    }
    return;
  }
  if (!hasGlob(head)) {
    walk(path.join(dir, head), rest, results);
    return;
  }
  const regex = segmentRegex(head);
  for (const entry of listDir(dir)) {
    if (regex.test(entry)) walk(path.join(dir, entry), rest, results);
  }
}
