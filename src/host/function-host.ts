import path from 'node:path';
import { localRuntimeMarker } from '../kernel/environment';
import type { InlineApp, LoadedApp, LocalSettings } from './app/app-loader';
import { applySettings, loadApp, loadInlineApp, readLocalSettings } from './app/app-loader';
import { FunctionInvoker } from './app/invoker';
import type { DurableHostOptions } from './durable/durable-host';
import { createDurableRuntime } from './durable/durable-host';
import { isDurableTrigger } from './durable/durable-functions-index';
import type { DurableRuntime } from './durable/durable-runtime';
import { createDurableClientData, createDurableManagementHandler } from './durable/management-api';
import { HttpHost } from './http/http-host';
import type { SystemHandler } from './http/http-host';
import type { HostLogger } from './logger';
import { createConsoleLogger } from './logger';
import { TimerScheduler } from './timers/timer-scheduler';

/**
 * The local Functions runtime for one app: settings into the environment, the app
 * loaded and its registrations captured, app-start hooks, HTTP triggers served,
 * timers armed; and the reverse on stop. It emulates the platform and holds no
 * kernel logic.
 */

export interface FunctionHostOptions {
  /** The app's folder (package.json main + host.json), or an app defined in code. */
  readonly appDir: string | InlineApp;
  /** 0 picks a free port. Defaults to local.settings.json Host.LocalHttpPort, then 7071. */
  readonly port?: number | undefined;
  readonly hostname?: string;
  readonly logger?: HostLogger;
  readonly systemHandlers?: readonly SystemHandler[];
  /** Clock, store and time skipping for the Durable runtime (tests use a virtual clock). */
  readonly durable?: DurableHostOptions;
}

const supportedTriggers = new Set(['httptrigger', 'timertrigger']);

/**
 * Starts the Durable runtime. When its storage does not answer, the host still
 * serves HTTP (health reports the outage) and keeps trying in the background,
 * as the Functions host does with its extensions.
 */
async function startDurable(durable: DurableRuntime, logger: HostLogger): Promise<void> {
  try {
    await durable.start();
    return;
  } catch (error) {
    logger.error(`Durable: could not open its store (${(error as Error).message}); retrying every 5 s.`);
  }
  const retry = (): void => {
    const timer = setTimeout(() => {
      durable.start().then(
        () => logger.info('Durable: store reachable again; runtime started.'),
        () => retry(),
      );
    }, 5_000);
    timer.unref();
  };
  retry();
}

export class FunctionHost {
  #stopping: Promise<void> | undefined;

  private constructor(
    readonly app: LoadedApp,
    readonly settings: LocalSettings,
    readonly port: number,
    readonly baseUrl: string,
    private readonly http: HttpHost,
    private readonly timers: TimerScheduler,
    private readonly invoker: FunctionInvoker,
    private readonly logger: HostLogger,
    /** The Durable runtime, when the app has durable functions. */
    readonly durable: DurableRuntime | undefined,
  ) {}

  static async start(options: FunctionHostOptions): Promise<FunctionHost> {
    const logger = options.logger ?? createConsoleLogger();
    const inline = typeof options.appDir === 'string' ? undefined : options.appDir;
    const appDir = path.resolve(
      typeof options.appDir === 'string' ? options.appDir : (options.appDir.dir ?? process.cwd()),
    );
    const settings: LocalSettings = inline
      ? { values: {}, localHttpPort: undefined, cors: undefined, file: undefined }
      : readLocalSettings(appDir);
    applySettings(settings.values);
    applySettings({
      [localRuntimeMarker]: '1',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsScriptRoot: appDir,
    });

    const app = inline ? loadInlineApp(inline) : loadApp(appDir);
    app.registrations.logger = (level, _category, message) => logger.fromFunction(level, message);
    const invoker = new FunctionInvoker(
      app.registrations,
      logger,
      app.host.functionTimeoutMs,
      app.host.logLevels,
    );
    const capabilities = await invoker.capabilities();
    const durable = await createDurableRuntime(app, invoker, logger, options.durable ?? {});
    let baseUrl = '';
    if (durable) {
      const clientData = () => ({
        json: JSON.stringify(createDurableClientData(baseUrl, durable.taskHubName)),
      });
      invoker.provideInput('durableClient', clientData);
      invoker.provideInput('orchestrationClient', clientData);
    }

    for (const fn of app.registrations.functions.values()) {
      const trigger = Object.values(fn.metadata.bindings).find((b) => /trigger$/i.test(String(b.type)));
      const type = String(trigger?.type ?? 'unknown');
      if (!supportedTriggers.has(type.toLowerCase()) && !(durable && isDurableTrigger(type))) {
        logger.warn(
          `Function '${fn.metadata.name}' uses a ${type}, which this local runtime does not run yet.`,
        );
      }
    }

    await invoker.runAppHooks('appStart', { functionAppDirectory: appDir });

    const maxBody = Number(process.env['FUNCTIONS_REQUEST_BODY_SIZE_LIMIT'] ?? 100 * 1024 * 1024);
    const http = new HttpHost({
      registrations: app.registrations,
      invoker,
      logger,
      routePrefix: app.host.routePrefix,
      port: options.port ?? settings.localHttpPort ?? 7071,
      hostname: options.hostname ?? '127.0.0.1',
      maxRequestBodyBytes: Number.isFinite(maxBody) && maxBody > 0 ? maxBody : 100 * 1024 * 1024,
      cors: settings.cors,
      systemHandlers: [
        ...(options.systemHandlers ?? []),
        ...(durable ? [createDurableManagementHandler(durable, { baseUrl: () => baseUrl })] : []),
      ],
      streamProxyUri: capabilities['HttpUri'],
    });
    const timers = new TimerScheduler(app.registrations, invoker, logger, process.env);
    const port = await http.start();
    baseUrl = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
    // func sets this too; the durable client builds its URLs from it.
    process.env['WEBSITE_HOSTNAME'] = `${options.hostname ?? '127.0.0.1'}:${port}`;
    if (durable) await startDurable(durable, logger);
    timers.start();

    logger.info(
      `Functions:\n\n${http
        .describe(baseUrl)
        .map((line) => `\t${line}`)
        .join('\n')}\n`,
    );
    for (const timer of timers.timers)
      logger.info(`\t${timer.fn.metadata.name}: timerTrigger (${timer.schedule.describe})`);
    logger.info(`Host started: ${app.name}@${app.version} listening on ${baseUrl}`);
    if (durable)
      logger.info(
        `Durable: task hub '${durable.taskHubName}', management API at ${baseUrl}/runtime/webhooks/durabletask/`,
      );
    return new FunctionHost(app, settings, port, baseUrl, http, timers, invoker, logger, durable);
  }

  /** Graceful stop: no new requests, running invocations finish, then app-terminate hooks. */
  stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= (async () => {
      this.logger.info('Stopping host...');
      await this.timers.stop();
      await this.http.stop(graceMs);
      await this.durable?.stop();
      await this.invoker.runAppHooks('appTerminate');
      this.logger.info('Host stopped.');
    })();
    return this.#stopping;
  }
}
