import Module from 'node:module';
import type {
  FunctionCallback,
  FunctionMetadata,
  HookCallback,
  HookName,
  ProgrammingModel,
  RpcLogCategory,
  RpcLogLevel,
} from './core-types';

/**
 * Stands in for the `@azure/functions-core` module that the Functions Node.js
 * worker injects. `@azure/functions` looks that module up lazily; when it is there,
 * every `app.*` / `df.app.*` call becomes a `registerFunction(metadata, callback)`
 * here, exactly what the worker would receive, and hooks arrive through
 * `registerHook`. Nothing is imitated beyond that seam.
 */

export interface RegisteredFunction {
  readonly metadata: FunctionMetadata;
  readonly callback: FunctionCallback;
}

class Disposable {
  #dispose: (() => unknown) | undefined;
  constructor(dispose: () => unknown) {
    this.#dispose = dispose;
  }
  static from(...likes: { dispose: () => unknown }[]): Disposable {
    return new Disposable(() => likes.forEach((like) => like.dispose()));
  }
  dispose(): unknown {
    const dispose = this.#dispose;
    this.#dispose = undefined;
    return dispose?.();
  }
}

export type SystemLogger = (level: RpcLogLevel, category: RpcLogCategory, message: string) => void;

/** What one app load registered: its functions, hooks and programming model. */
export class Registrations {
  readonly functions = new Map<string, RegisteredFunction>();
  readonly hooks: Record<HookName, HookCallback[]> = {
    appStart: [],
    appTerminate: [],
    preInvocation: [],
    postInvocation: [],
    log: [],
  };
  programmingModel: ProgrammingModel | undefined;
  logger: SystemLogger = () => undefined;
}

let active: Registrations | undefined;
let installed = false;

const hookNames = new Set<string>(['appStart', 'appTerminate', 'preInvocation', 'postInvocation', 'log']);

function current(): Registrations {
  if (active === undefined) {
    throw new Error('@azure/functions-core was used outside an app load by the aos local runtime');
  }
  return active;
}

export const coreApi = {
  version: '3.10.1',
  hostVersion: '4.1000.0',
  Disposable,
  registerFunction(metadata: FunctionMetadata, callback: FunctionCallback): Disposable {
    const registrations = current();
    const key = metadata.name.toLowerCase();
    if (registrations.functions.has(key)) {
      throw new Error(`A function with the name "${metadata.name}" has already been registered.`);
    }
    registrations.functions.set(key, { metadata, callback });
    return new Disposable(() => registrations.functions.delete(key));
  },
  registerHook(hookName: string, callback: HookCallback): Disposable {
    if (!hookNames.has(hookName)) {
      const error = new RangeError(`Unrecognized hook "${hookName}"`) as RangeError & {
        isAzureFunctionsSystemError?: boolean;
      };
      error.isAzureFunctionsSystemError = true;
      throw error;
    }
    const list = current().hooks[hookName as HookName];
    list.push(callback);
    return new Disposable(() => {
      const index = list.indexOf(callback);
      if (index >= 0) list.splice(index, 1);
    });
  },
  setProgrammingModel(model: ProgrammingModel): void {
    current().programmingModel = model;
  },
  getProgrammingModel(): ProgrammingModel | undefined {
    return current().programmingModel;
  },
  log(level: RpcLogLevel, category: RpcLogCategory, message: string): void {
    (active?.logger ?? (() => undefined))(level, category, message);
  },
};

/** Makes `require('@azure/functions-core')` answer with coreApi, as the worker does. */
export function installFunctionsCore(): void {
  if (installed) return;
  installed = true;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- re-bound with .call below
  const originalRequire = Module.prototype.require;
  const patched = function (this: NodeJS.Module, id: string): unknown {
    if (id === '@azure/functions-core') return coreApi;
    return originalRequire.call(this, id);
  };
  Module.prototype.require = Object.assign(patched, originalRequire) as NodeJS.Require;
}

/**
 * Runs `load` with `registrations` receiving every registration. `@azure/functions`
 * sets its programming model only once per process, so a model seen earlier is
 * carried over to later loads.
 */
export function withRegistrations<T>(registrations: Registrations, load: () => T): T {
  installFunctionsCore();
  const previous = active;
  if (previous?.programmingModel && !registrations.programmingModel) {
    registrations.programmingModel = previous.programmingModel;
  }
  active = registrations;
  return load();
}
