import { KernelError } from '../errors';
import type { CompiledRoute } from './route-template';
import { compileRoute } from './route-template';

/**
 * The kernel's declared routes, so a request that reaches no route can be told
 * apart: unknown path (404) or known path with the wrong method (405 + Allow).
 * The Functions host answers both with a bare 404; the kernel's catch-all route
 * uses this table to answer with problem+json instead.
 */
export class RouteTable {
  #routes: { method: string; route: CompiledRoute }[] = [];

  add(method: string, template: string): void {
    this.#routes.push({ method: method.toUpperCase(), route: compileRoute(template) });
  }

  /** The error for a request no route accepted; `path` is below the route prefix. */
  unmatched(method: string, path: string): KernelError {
    const allowed = new Set<string>();
    for (const { method: routeMethod, route } of this.#routes) {
      if (route.match(path)) allowed.add(routeMethod);
    }
    if (allowed.size === 0 || allowed.has(method.toUpperCase())) {
      return new KernelError('not_found', 'Not found', {
        detail: `No route serves ${method.toUpperCase()} /${path.replace(/^\/+/, '')}.`,
      });
    }
    const allow = [...allowed].sort().join(', ');
    return new KernelError('method_not_allowed', 'Method not allowed', {
      detail: `${method.toUpperCase()} is not allowed here; use ${allow}.`,
      headers: { allow },
    });
  }
}
