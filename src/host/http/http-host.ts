import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TransformCallback } from 'node:stream';
import { Transform } from 'node:stream';
import type { RegisteredFunction, Registrations } from '../app/functions-core';
import type { FunctionInvoker } from '../app/invoker';
import { FunctionInvocationError } from '../app/invoker';
import type { HostLogger } from '../logger';
import type { CompiledRoute } from '../../kernel/http';
import { compareRoutePrecedence, compileRoute } from '../../kernel/http';
import { BodyTooLargeError, readBody } from './read-body';
import type { IncomingHttp, OutgoingHttp } from './rpc-http';
import { fromRpcHttpResponse, httpTriggerMetadata, toRpcHttpRequest } from './rpc-http';

/**
 * Serves the app's HTTP triggers on node:http the way the Functions host does:
 * `/<routePrefix>/<route>`, ASP.NET-style route templates with precedence, method
 * filtering, the request body limit, CORS from local.settings.json, and HTTP
 * streaming through the library's proxy when the app enables it.
 */

export interface HttpRoute {
  readonly fn: RegisteredFunction;
  readonly triggerName: string;
  readonly route: CompiledRoute;
  /** Upper-case methods; undefined accepts every method. */
  readonly methods: ReadonlySet<string> | undefined;
}

/** A platform endpoint the host serves itself (e.g. the Durable webhooks). Returns false to pass. */
export type SystemHandler = (
  req: http.IncomingMessage,
  res: http.ServerResponse,
  url: URL,
) => Promise<boolean>;

export interface HttpHostOptions {
  readonly registrations: Registrations;
  readonly invoker: FunctionInvoker;
  readonly logger: HostLogger;
  readonly routePrefix: string;
  readonly port: number;
  readonly hostname?: string;
  /** FUNCTIONS_REQUEST_BODY_SIZE_LIMIT; the Functions host's default is 100 MiB. */
  readonly maxRequestBodyBytes?: number;
  readonly cors?: string | undefined;
  readonly systemHandlers?: readonly SystemHandler[];
  /** Set when the app called app.setup({ enableHttpStream: true }). */
  readonly streamProxyUri?: string | undefined;
}

export function collectHttpRoutes(registrations: Registrations): HttpRoute[] {
  const routes: HttpRoute[] = [];
  for (const fn of registrations.functions.values()) {
    for (const [bindingName, binding] of Object.entries(fn.metadata.bindings)) {
      if (String(binding.type).toLowerCase() !== 'httptrigger') continue;
      const template =
        typeof binding['route'] === 'string' && binding['route'] !== '' ? binding['route'] : fn.metadata.name;
      const methods = Array.isArray(binding['methods'])
        ? new Set((binding['methods'] as unknown[]).map((m) => String(m).toUpperCase()))
        : undefined;
      routes.push({ fn, triggerName: bindingName, route: compileRoute(template), methods });
    }
  }
  return routes.sort((a, b) => compareRoutePrecedence(a.route, b.route));
}

function sendProblem(
  res: http.ServerResponse,
  status: number,
  title: string,
  detail: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ type: 'about:blank', title, status, detail });
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/problem+json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function writeOutgoing(res: http.ServerResponse, out: OutgoingHttp, extra: Record<string, string>): void {
  for (const [name, value] of Object.entries(extra)) res.setHeader(name, value);
  for (const [name, value] of out.headers) {
    if (name.toLowerCase() === 'content-length' || name.toLowerCase() === 'transfer-encoding') continue;
    res.setHeader(name, value);
  }
  if (out.cookies.length > 0) res.setHeader('set-cookie', [...out.cookies]);
  res.statusCode = out.status;
  res.setHeader('content-length', out.body.length);
  res.end(out.body);
}

export class HttpHost {
  readonly routes: readonly HttpRoute[];
  #server: http.Server | undefined;
  #inFlight = new Set<Promise<void>>();
  #prefixSegments: string;

  constructor(private readonly options: HttpHostOptions) {
    this.routes = collectHttpRoutes(options.registrations);
    this.#prefixSegments = options.routePrefix === '' ? '' : `/${options.routePrefix}`;
  }

  /** Public URL of a route, as func prints it at start-up. */
  describe(baseUrl: string): string[] {
    return this.routes.map((r) => {
      const methods = r.methods ? [...r.methods].join(',') : 'ALL';
      return `${r.fn.metadata.name}: [${methods}] ${baseUrl}${this.#prefixSegments}/${r.route.template}`;
    });
  }

  async start(): Promise<number> {
    const server = http.createServer((req, res) => {
      const work = this.handle(req, res).catch((error: unknown) => {
        this.options.logger.error(`Request failed in the local runtime: ${String(error)}`);
        sendProblem(res, 500, 'Internal Server Error', 'The local runtime failed to handle this request.');
      });
      this.#inFlight.add(work);
      void work.finally(() => this.#inFlight.delete(work));
    });
    server.keepAliveTimeout = 5_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.hostname ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  /** Stops accepting, lets requests in flight finish (up to graceMs), then closes. */
  async stop(graceMs = 10_000): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const drained = Promise.allSettled([...this.#inFlight]);
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, graceMs).unref())]);
    server.closeAllConnections();
    await closed;
  }

  private corsHeaders(req: http.IncomingMessage): Record<string, string> {
    const cors = this.options.cors;
    const origin = req.headers.origin;
    if (!cors || !origin) return {};
    const allowed = cors.split(',').map((o) => o.trim());
    if (!allowed.includes('*') && !allowed.includes(origin)) return {};
    return { 'access-control-allow-origin': allowed.includes('*') ? '*' : origin, vary: 'Origin' };
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const hostHeader = req.headers.host ?? `127.0.0.1:${this.options.port}`;
    const url = new URL(req.url ?? '/', `http://${hostHeader}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const cors = this.corsHeaders(req);

    for (const handler of this.options.systemHandlers ?? []) {
      if (await handler(req, res, url)) return;
    }

    if (
      method === 'OPTIONS' &&
      Object.keys(cors).length > 0 &&
      req.headers['access-control-request-method']
    ) {
      res.writeHead(204, {
        ...cors,
        'access-control-allow-methods': 'GET, POST, PUT, PATCH, DELETE, OPTIONS, HEAD',
        'access-control-allow-headers': req.headers['access-control-request-headers'] ?? '*',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }

    let path = url.pathname;
    if (this.#prefixSegments !== '') {
      const prefix = this.#prefixSegments.toLowerCase();
      const lower = path.toLowerCase();
      if (lower !== prefix && !lower.startsWith(`${prefix}/`)) {
        sendProblem(res, 404, 'Not Found', `No function serves ${url.pathname}.`, cors);
        return;
      }
      path = path.slice(prefix.length);
    }

    // Routes are in precedence order: the first that matches and takes the method serves.
    let chosen: { route: HttpRoute; params: Record<string, string> } | undefined;
    for (const route of this.routes) {
      if (route.methods && !route.methods.has(method)) continue;
      const params = route.route.match(path);
      if (params) {
        chosen = { route, params };
        break;
      }
    }
    if (!chosen) {
      // Only now look at every route: 404, or 405 with what the matching ones allow.
      const matches = this.routes.filter((route) => route.route.match(path) !== undefined);
      if (matches.length === 0) {
        sendProblem(res, 404, 'Not Found', `No function serves ${url.pathname}.`, cors);
        return;
      }
      const allow = [...new Set(matches.flatMap((m) => [...(m.methods ?? [])]))].sort().join(', ');
      sendProblem(res, 405, 'Method Not Allowed', `${method} is not allowed on ${url.pathname}.`, {
        ...cors,
        allow,
      });
      return;
    }
    if (this.options.streamProxyUri) {
      if (declaredTooLarge(req, this.maxBodyBytes)) {
        req.resume();
        sendProblem(res, 413, 'Payload Too Large', 'The request body is larger than the host accepts.', cors);
        return;
      }
      await this.invokeStreaming(req, res, url, chosen.route, chosen.params, cors);
      return;
    }

    let body: Buffer;
    try {
      body = await readBody(req, this.maxBodyBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        sendProblem(res, 413, 'Payload Too Large', 'The request body is larger than the host accepts.', cors);
        return;
      }
      throw error;
    }
    const incoming: IncomingHttp = {
      method,
      url: url.toString(),
      headers: req.headers,
      params: chosen.params,
      body,
    };
    const out = await this.invokeHttp(chosen.route, incoming, res, cors);
    if (out) writeOutgoing(res, out, cors);
  }

  private async invokeHttp(
    route: HttpRoute,
    incoming: IncomingHttp,
    res: http.ServerResponse,
    cors: Record<string, string>,
  ): Promise<OutgoingHttp | undefined> {
    const traceParent = incoming.headers['traceparent'];
    try {
      const response = await this.options.invoker.invoke(route.fn, {
        inputData: [{ name: route.triggerName, data: { http: toRpcHttpRequest(incoming) } }],
        triggerMetadata: httpTriggerMetadata(incoming),
        reason: `This function was programmatically called via the host APIs.`,
        ...(typeof traceParent === 'string' ? { traceParent } : {}),
      });
      const httpOutput =
        response.returnValue?.http ?? response.outputData?.find((o) => o.data.http !== undefined)?.data.http;
      return fromRpcHttpResponse(httpOutput);
    } catch (error) {
      if (error instanceof FunctionInvocationError) {
        sendProblem(
          res,
          500,
          'Internal Server Error',
          `Function '${route.fn.metadata.name}' failed; see the host log.`,
          cors,
        );
        return undefined;
      }
      throw error;
    }
  }

  private get maxBodyBytes(): number {
    return this.options.maxRequestBodyBytes ?? 100 * 1024 * 1024;
  }

  /**
   * With HTTP streaming the worker's library serves the bodies itself: the host
   * forwards the raw request to the library's proxy (tagged with the invocation id)
   * and relays its response, while the invocation runs with headers and params only.
   * The body limit holds here too: bytes are counted on their way to the proxy, and
   * past the limit the proxied request is aborted (the function's body stream
   * fails) and the caller gets 413.
   */
  private async invokeStreaming(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    route: HttpRoute,
    params: Record<string, string>,
    cors: Record<string, string>,
  ): Promise<void> {
    const invocationId = randomUUID();
    const target = new URL(`${url.pathname}${url.search}`, this.options.streamProxyUri);
    let proxyReq: http.ClientRequest | undefined;
    let tooLarge = false;
    const refuseTooLarge = () => {
      if (res.writableEnded) return;
      if (res.headersSent) res.destroy();
      else
        sendProblem(res, 413, 'Payload Too Large', 'The request body is larger than the host accepts.', cors);
    };
    const proxied = new Promise<void>((resolve, reject) => {
      const request = http.request(target, {
        method: req.method,
        headers: {
          ...req.headers,
          'x-ms-invocation-id': invocationId,
          'x-forwarded-host': url.host,
          'x-forwarded-proto': 'http',
        },
      });
      proxyReq = request;
      request.on('response', (proxyRes) => {
        if (tooLarge) {
          // The caller already has its 413; whatever the function answered is dropped.
          // Aborting the request may cut this response short: 'close' ends the wait too.
          proxyRes.resume();
          proxyRes.once('end', resolve);
          proxyRes.once('close', resolve);
          proxyRes.once('error', () => resolve());
          return;
        }
        const headers: Record<string, string | string[]> = { ...cors };
        for (const [name, value] of Object.entries(proxyRes.headers)) {
          if (value !== undefined && name !== 'x-ms-invocation-id') headers[name] = value;
        }
        res.writeHead(proxyRes.statusCode ?? 200, headers);
        proxyRes.pipe(res);
        proxyRes.on('end', resolve);
        proxyRes.on('error', reject);
      });
      request.on('error', reject);
      // The library waits for this request to start the handler: send its headers now.
      request.flushHeaders();
      const counter = new BodyLimit(this.maxBodyBytes);
      counter.on('error', () => {
        tooLarge = true;
        req.unpipe(counter);
        req.resume();
        // The caller learns at once; the invocation ends when the library sees the abort.
        refuseTooLarge();
        abortOnceDelivered(request);
      });
      req.pipe(counter).pipe(request);
    });
    // A failed invocation never answers the proxy; its rejection is handled below.
    proxied.catch(() => undefined);
    const incoming: IncomingHttp = {
      method: req.method ?? 'GET',
      url: url.toString(),
      headers: req.headers,
      params,
      body: undefined,
    };
    const rpc = toRpcHttpRequest(incoming);
    try {
      await this.options.invoker.invoke(route.fn, {
        invocationId,
        inputData: [{ name: route.triggerName, data: { http: rpc } }],
        triggerMetadata: httpTriggerMetadata(incoming),
      });
    } catch (error) {
      proxyReq?.destroy();
      if (tooLarge) {
        refuseTooLarge();
        return;
      }
      if (!(error instanceof FunctionInvocationError)) throw error;
      sendProblem(
        res,
        500,
        'Internal Server Error',
        `Function '${route.fn.metadata.name}' failed; see the host log.`,
        cors,
      );
      return;
    }
    try {
      await proxied;
    } catch (error) {
      if (!tooLarge) throw error;
      refuseTooLarge();
    }
  }
}

/**
 * Aborts a proxied request, but only after its headers have reached the library's
 * proxy: a request destroyed before that never arrives, and the invocation waiting
 * for it would wait forever. Once delivered, the abort fails the function's body
 * stream and the invocation ends.
 */
function abortOnceDelivered(request: http.ClientRequest): void {
  const whenFlushed = (socket: Socket) => {
    const destroy = () => {
      if (socket.writableLength === 0) request.destroy();
      else socket.once('drain', () => request.destroy());
    };
    if (socket.connecting) socket.once('connect', () => setImmediate(destroy));
    else setImmediate(destroy);
  };
  if (request.socket) whenFlushed(request.socket);
  else request.once('socket', whenFlushed);
}

function declaredTooLarge(req: http.IncomingMessage, limit: number): boolean {
  const declared = Number(req.headers['content-length'] ?? NaN);
  return Number.isFinite(declared) && declared > limit;
}

/** Passes bytes through until more than `limit` have gone by, then fails. */
class BodyLimit extends Transform {
  private seen = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.seen += chunk.length;
    if (this.seen > this.limit) callback(new BodyTooLargeError());
    else callback(null, chunk);
  }
}
