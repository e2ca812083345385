import { createRequire } from 'node:module';
import path from 'node:path';
import { KernelError } from '../errors';
import type { ExtensionRegistry } from './extension-registry';

/**
 * Extension packages: a deployment names npm packages (or paths) in its config;
 * each exports `register(registry)` and adds its transports, builtin agents and
 * the like. Loaded once at cold start, in the order given, before any request.
 */

/** What an extension package exports (CommonJS `exports.register`, or an ES default export's). */
export interface ExtensionPackage {
  register(registry: ExtensionRegistry): void | Promise<void>;
}

export interface LoadExtensionOptions {
  /**
   * Directory package names are resolved from. Default: this module's location,
   * which finds the function app's own node_modules.
   */
  readonly resolveFrom?: string;
}

function registerFunction(loaded: unknown): ExtensionPackage['register'] | undefined {
  const candidates = [loaded, (loaded as { default?: unknown } | null | undefined)?.default];
  for (const candidate of candidates) {
    if ((typeof candidate === 'object' || typeof candidate === 'function') && candidate !== null) {
      const register = (candidate as { register?: unknown }).register;
      if (typeof register === 'function') return register as ExtensionPackage['register'];
    }
  }
  return undefined;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}

/**
 * Requires each named package and calls its `register(registry)`. Fails on the first
 * package that cannot be loaded or registered, naming it: a deployment that asked
 * for an extension must not start without it.
 */
export async function loadExtensionPackages(
  names: readonly string[],
  registry: ExtensionRegistry,
  options: LoadExtensionOptions = {},
): Promise<string[]> {
  const load = createRequire(
    options.resolveFrom === undefined ? __filename : path.join(path.resolve(options.resolveFrom), 'noop.js'),
  );
  const loaded: string[] = [];
  for (const raw of names) {
    const name = raw.trim();
    if (name === '' || loaded.includes(name)) continue;
    let exported: unknown;
    try {
      exported = load(name);
    } catch (error) {
      throw new KernelError('internal', 'Extension package could not be loaded', {
        detail: `'${name}': ${describe(error)}`,
        cause: error,
      });
    }
    const register = registerFunction(exported);
    if (register === undefined) {
      throw new KernelError('internal', 'Extension package has no register function', {
        detail: `'${name}' must export register(registry).`,
      });
    }
    try {
      await register(registry);
    } catch (error) {
      throw new KernelError('internal', 'Extension package failed to register', {
        detail: `'${name}': ${describe(error)}`,
        cause: error,
      });
    }
    loaded.push(name);
  }
  return loaded;
}
