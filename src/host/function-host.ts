import path from 'node:path';
import { localRuntimeMarker } from '../kernel/environment';
import type { LoadedApp, LocalSettings } from './app/app-loader';
import { applySettings, loadApp, readLocalSettings } from './app/app-loader';
import { FunctionInvoker } from './app/invoker';
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
  readonly appDir: string;
  /** 0 picks a free port. Defaults to local.settings.json Host.LocalHttpPort, then 7071. */
  readonly port?: number | undefined;
  readonly hostname?: string;
  readonly logger?: HostLogger;
  readonly systemHandlers?: readonly SystemHandler[];
}

const supportedTriggers = new Set(['httptrigger', 'timertrigger']);

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
  ) {}

  static async start(options: FunctionHostOptions): Promise<FunctionHost> {
    const logger = options.logger ?? createConsoleLogger();
    const appDir = path.resolve(options.appDir);
    const settings = readLocalSettings(appDir);
    applySettings(settings.values);
    applySettings({
      [localRuntimeMarker]: '1',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      AzureWebJobsScriptRoot: appDir,
    });

    const app = loadApp(appDir);
    app.registrations.logger = (level, _category, message) => logger.fromFunction(level, message);
    const invoker = new FunctionInvoker(app.registrations, logger, app.host.functionTimeoutMs);
    const capabilities = await invoker.capabilities();

    for (const fn of app.registrations.functions.values()) {
      const trigger = Object.values(fn.metadata.bindings).find((b) => /trigger$/i.test(String(b.type)));
      const type = String(trigger?.type ?? 'unknown');
      if (!supportedTriggers.has(type.toLowerCase())) {
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
      systemHandlers: options.systemHandlers ?? [],
      streamProxyUri: capabilities['HttpUri'],
    });
    const timers = new TimerScheduler(app.registrations, invoker, logger, process.env);
    const port = await http.start();
    const baseUrl = `http://${options.hostname ?? '127.0.0.1'}:${port}`;
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
    return new FunctionHost(app, settings, port, baseUrl, http, timers, invoker, logger);
  }

  /** Graceful stop: no new requests, running invocations finish, then app-terminate hooks. */
  stop(graceMs = 10_000): Promise<void> {
    this.#stopping ??= (async () => {
      this.logger.info('Stopping host...');
      await this.timers.stop();
      await this.http.stop(graceMs);
      await this.invoker.runAppHooks('appTerminate');
      this.logger.info('Host stopped.');
    })();
    return this.#stopping;
  }
}
