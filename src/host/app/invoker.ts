import { randomUUID } from 'node:crypto';
import type {
  CoreInvocationContext,
  ProgrammingModel,
  RpcInvocationRequest,
  RpcInvocationResponse,
  RpcLogCategory,
  RpcLogLevel,
  RpcParameterBinding,
  RpcTypedData,
} from './core-types';
import type { RegisteredFunction, Registrations } from './functions-core';
import type { HostLogger } from '../logger';
import { LogLevelRules } from './host-json';

/**
 * Runs one invocation the way the Node.js worker does: the library's programming
 * model builds the arguments from RPC-shaped input, pre-invocation hooks may change
 * them, the function runs, post-invocation hooks see the result or error, and the
 * model turns the result into an RPC response.
 */

export interface InvocationInput {
  readonly inputData: RpcParameterBinding[];
  readonly triggerMetadata?: Record<string, RpcTypedData>;
  readonly traceParent?: string;
  readonly invocationId?: string;
  /** Shown in the "Executing" log line, as the host does. */
  readonly reason?: string;
}

export class FunctionInvocationError extends Error {
  constructor(
    readonly functionName: string,
    readonly invocationId: string,
    readonly reason: unknown,
  ) {
    super(`Function '${functionName}' failed: ${reason instanceof Error ? reason.message : String(reason)}`);
  }
}

export class FunctionTimeoutError extends Error {}

/** Supplies the data of an input binding of a given type (e.g. `durableClient`) for each invocation. */
export type InputProvider = (fn: RegisteredFunction, bindingName: string) => RpcTypedData;

export class FunctionInvoker {
  readonly appHookData: Record<string, unknown> = {};
  readonly #inputProviders = new Map<string, InputProvider>();

  constructor(
    private readonly registrations: Registrations,
    private readonly logger: HostLogger,
    private readonly functionTimeoutMs: number | undefined,
    private readonly logLevels: LogLevelRules = new LogLevelRules(),
  ) {}

  /** Registers the source of an input binding type, as an extension does for its bindings. */
  provideInput(bindingType: string, provider: InputProvider): void {
    this.#inputProviders.set(bindingType.toLowerCase(), provider);
  }

  private extraInputs(fn: RegisteredFunction): RpcParameterBinding[] {
    const inputs: RpcParameterBinding[] = [];
    for (const [name, binding] of Object.entries(fn.metadata.bindings)) {
      if (binding.direction !== 'in' || /trigger$/i.test(String(binding.type))) continue;
      const provider = this.#inputProviders.get(String(binding.type).toLowerCase());
      if (provider) inputs.push({ name, data: provider(fn, name) });
    }
    return inputs;
  }

  private model(): ProgrammingModel {
    const model = this.registrations.programmingModel;
    if (!model) {
      throw new Error('The app did not set a programming model; is it built on @azure/functions v4?');
    }
    return model;
  }

  async capabilities(): Promise<Record<string, string>> {
    const model = this.model();
    return model.getCapabilities ? await model.getCapabilities({}) : {};
  }

  async runAppHooks(name: 'appStart' | 'appTerminate', extra: Record<string, unknown> = {}): Promise<void> {
    for (const hook of [...this.registrations.hooks[name]]) {
      await hook({ hookData: {}, appHookData: this.appHookData, ...extra });
    }
  }

  async invoke(fn: RegisteredFunction, input: InvocationInput): Promise<RpcInvocationResponse> {
    const invocationId = input.invocationId ?? randomUUID();
    const name = fn.metadata.name;
    const started = performance.now();
    // The host's own lines about an invocation are in category Function.<name>.
    const category = `Function.${name}`;
    const verbose = this.logLevels.enabled(category, 'information');
    if (verbose) {
      this.logger.info(
        `Executing 'Functions.${name}' (Reason='${input.reason ?? 'This function was programmatically called via the host APIs.'}', Id=${invocationId})`,
      );
    }
    // User code may write to the console itself, or crash the process: what led up to it goes first.
    this.logger.flush?.();
    try {
      const response = await this.withTimeout(name, this.run(fn, invocationId, input));
      if (verbose) {
        this.logger.info(
          `Executed 'Functions.${name}' (Succeeded, Id=${invocationId}, Duration=${Math.round(performance.now() - started)}ms)`,
        );
      }
      return response;
    } catch (error) {
      if (this.logLevels.enabled(category, 'error')) {
        this.logger.error(
          `Executed 'Functions.${name}' (Failed, Id=${invocationId}, Duration=${Math.round(performance.now() - started)}ms)`,
        );
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        this.logger.error(`Result: Failure\nException: ${message}`);
      }
      throw new FunctionInvocationError(name, invocationId, error);
    }
  }

  private async withTimeout<T>(name: string, work: Promise<T>): Promise<T> {
    const limit = this.functionTimeoutMs;
    if (limit === undefined) return work;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new FunctionTimeoutError(
              `Timeout value of ${limit}ms was exceeded by function: Functions.${name}`,
            ),
          ),
        limit,
      );
      timer.unref();
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async run(
    fn: RegisteredFunction,
    invocationId: string,
    input: InvocationInput,
  ): Promise<RpcInvocationResponse> {
    const request: RpcInvocationRequest = {
      invocationId,
      functionId: fn.metadata.functionId ?? fn.metadata.name,
      inputData: [...input.inputData, ...this.extraInputs(fn)],
      triggerMetadata: input.triggerMetadata ?? {},
      ...(input.traceParent
        ? { traceContext: { traceParent: input.traceParent, traceState: '', attributes: {} } }
        : {}),
    };
    const coreContext: CoreInvocationContext = {
      invocationId,
      request,
      metadata: fn.metadata,
      log: (level: RpcLogLevel, category: RpcLogCategory, message: string) => {
        if (category === 'system' && level === 'debug') return;
        // What a function logs is in category Function.<name>.User.
        if (level !== 'none' && !this.logLevels.enabled(`Function.${fn.metadata.name}.User`, level)) return;
        this.logger.fromFunction(level, message);
      },
    };
    const model = await this.model().getInvocationModel(coreContext);
    const { context, inputs } = await model.getArguments();

    const hookData: Record<string, unknown> = {};
    const pre = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs,
      functionCallback: fn.callback,
    };
    coreContext.state = 'preInvocationHooks';
    for (const hook of [...this.registrations.hooks.preInvocation]) await hook(pre);

    coreContext.state = 'invocation';
    let result: unknown;
    let error: unknown;
    try {
      result = await model.invokeFunction(context, pre.inputs, pre.functionCallback);
    } catch (caught) {
      error = caught;
    }

    const post = {
      hookData,
      appHookData: this.appHookData,
      invocationContext: context,
      inputs: pre.inputs,
      result,
      error,
    };
    coreContext.state = 'postInvocationHooks';
    for (const hook of [...this.registrations.hooks.postInvocation]) await hook(post);
    coreContext.state = undefined;

    // eslint-disable-next-line @typescript-eslint/only-throw-error -- rethrows whatever the function threw
    if (post.error !== undefined && post.error !== null) throw post.error;
    return model.getResponse(context, post.result);
  }
}
