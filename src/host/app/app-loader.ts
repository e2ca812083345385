import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Registrations, withRegistrations } from './functions-core';
import { expandGlob, hasGlob } from './glob';
import type { HostSettings } from './host-json';
import { parseHostJson } from './host-json';

/**
 * Loads a Functions Node.js v4 app the way the worker does: app settings from
 * `local.settings.json` into the environment, then every file named by
 * `package.json` `main`, with registrations captured through the
 * `@azure/functions-core` stand-in.
 */

export class AppLoadError extends Error {}

export interface LocalSettings {
  readonly values: Readonly<Record<string, string>>;
  readonly localHttpPort: number | undefined;
  readonly cors: string | undefined;
  /** Which file supplied them, if any. */
  readonly file: string | undefined;
}

export interface LoadedApp {
  readonly dir: string;
  readonly name: string;
  readonly version: string;
  readonly host: HostSettings;
  readonly entryFiles: readonly string[];
  readonly registrations: Registrations;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as unknown;
  } catch (error) {
    throw new AppLoadError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * Reads `local.settings.json` (`Values`, `Host.LocalHttpPort`, `Host.CORS`). Values
 * must be strings, as Core Tools requires.
 */
export function readLocalSettings(dir: string): LocalSettings {
  const file = path.join(dir, 'local.settings.json');
  if (!existsSync(file)) return { values: {}, localHttpPort: undefined, cors: undefined, file: undefined };
  const doc = readJson(file) as { Values?: unknown; Host?: { LocalHttpPort?: unknown; CORS?: unknown } };
  const values: Record<string, string> = {};
  if (doc.Values !== undefined) {
    if (doc.Values === null || typeof doc.Values !== 'object' || Array.isArray(doc.Values)) {
      throw new AppLoadError(`${file}: "Values" must be an object of strings`);
    }
    for (const [key, value] of Object.entries(doc.Values as Record<string, unknown>)) {
      if (typeof value !== 'string') throw new AppLoadError(`${file}: Values.${key} must be a string`);
      values[key] = value;
    }
  }
  const port = doc.Host?.LocalHttpPort;
  const cors = doc.Host?.CORS;
  return {
    values,
    localHttpPort: typeof port === 'number' ? port : undefined,
    cors: typeof cors === 'string' ? cors : undefined,
    file,
  };
}

/**
 * Copies settings into the environment. Variables already set win, so a shell or a
 * test can override a committed value without editing the file.
 */
export function applySettings(
  values: Readonly<Record<string, string>>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) env[key] = value;
  }
}

export function resolveEntryFiles(dir: string): { name: string; version: string; files: string[] } {
  const packageFile = path.join(dir, 'package.json');
  if (!existsSync(packageFile)) throw new AppLoadError(`${dir} has no package.json`);
  const pkg = readJson(packageFile) as { name?: unknown; version?: unknown; main?: unknown };
  const main = typeof pkg.main === 'string' && pkg.main !== '' ? pkg.main : 'index.js';
  const files = hasGlob(main)
    ? expandGlob(dir, main)
    : [path.resolve(dir, main)].filter((f) => existsSync(f));
  if (files.length === 0) {
    throw new AppLoadError(
      `package.json "main" (${main}) matches no file in ${dir}. Build the app first (for this project: npm run build).`,
    );
  }
  return {
    name: typeof pkg.name === 'string' ? pkg.name : path.basename(dir),
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    files,
  };
}

export function readHostSettings(dir: string): HostSettings {
  const file = path.join(dir, 'host.json');
  if (!existsSync(file)) throw new AppLoadError(`${dir} has no host.json; every Functions app needs one`);
  return parseHostJson(readJson(file));
}

/** An app defined in code (the testing API): a register function instead of entry files. */
export interface InlineApp {
  readonly name?: string;
  readonly dir?: string;
  /** Calls app.* / df.app.* to register functions and hooks. */
  readonly register: () => void;
  /** host.json content; defaults to an empty v2 document. */
  readonly hostJson?: Record<string, unknown>;
}

export function loadInlineApp(inline: InlineApp): LoadedApp {
  const registrations = new Registrations();
  withRegistrations(registrations, inline.register);
  return {
    dir: path.resolve(inline.dir ?? process.cwd()),
    name: inline.name ?? 'inline-app',
    version: '0.0.0',
    host: parseHostJson(inline.hostJson ?? { version: '2.0' }),
    entryFiles: [],
    registrations,
  };
}

/** Requires the app's entry files, capturing what they register. */
export function loadApp(dir: string): LoadedApp {
  const absolute = path.resolve(dir);
  const host = readHostSettings(absolute);
  const { name, version, files } = resolveEntryFiles(absolute);
  const registrations = new Registrations();
  withRegistrations(registrations, () => {
    // The worker loads app entry points with require; so must the local runtime.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    for (const file of files) require(file);
  });
  return { dir: absolute, name, version, host, entryFiles: files, registrations };
}
