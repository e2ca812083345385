import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { KernelRequest, RouteContract } from '../../../../src/kernel/http';
import { RouteTable, executeRoute } from '../../../../src/kernel/http';
import { KernelError } from '../../../../src/kernel/errors';

function request(init: {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
  body?: string | Uint8Array;
}): KernelRequest {
  const url = `http://localhost/api${init.path ?? '/things'}`;
  const headers = new Headers(init.headers);
  const body =
    typeof init.body === 'string' ? new TextEncoder().encode(init.body) : (init.body ?? new Uint8Array());
  return {
    method: init.method ?? 'POST',
    url,
    headers,
    params: init.params ?? {},
    query: new URL(url).searchParams,
    bytes: async () => body,
  };
}

const thing = z.object({ name: z.string().min(1), size: z.number().int().positive().optional() });

const createThing: RouteContract<{ id: string }, { dry_run?: string | undefined }, z.infer<typeof thing>> = {
  name: 'createThing',
  method: 'POST',
  route: 'things/{id}',
  params: z.object({ id: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/) }),
  query: z.object({ dry_run: z.enum(['true', 'false']).optional() }),
  body: thing,
  handle: ({ params, body, query }) => ({
    status: 201,
    body: { id: params.id, ...body, dry_run: query.dry_run ?? null },
  }),
};

const options = { maxBodyBytes: 64 };

describe('executeRoute', () => {
  it('hands the handler parsed params, query and body', async () => {
    const response = await executeRoute(
      createThing,
      {
        ...request({
          body: '{"name":"a","size":2}',
          headers: { 'content-type': 'application/json' },
          params: { id: 't1' },
        }),
        query: new URLSearchParams('dry_run=true'),
      },
      options,
    );
    expect(response.status).toBe(201);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.body!)).toEqual({ id: 't1', name: 'a', size: 2, dry_run: 'true' });
  });

  it('answers malformed JSON with 400 problem+json', async () => {
    const response = await executeRoute(
      createThing,
      request({ body: '{"name":', params: { id: 't1' } }),
      options,
    );
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(response.body!)).toMatchObject({
      title: 'Malformed JSON',
      status: 400,
      instance: '/api/things',
    });
  });

  it('answers a schema failure with 400 naming the fields', async () => {
    const response = await executeRoute(
      createThing,
      request({ body: '{"size":-1}', params: { id: 't1' } }),
      options,
    );
    expect(response.status).toBe(400);
    const problem = JSON.parse(response.body!) as { errors: { field: string; in: string }[] };
    expect(problem.errors.map((e) => `${e.in}:${e.field}`)).toEqual(['body:name', 'body:size']);
  });

  it('validates route parameters and query strings', async () => {
    const badId = await executeRoute(
      createThing,
      request({ body: '{"name":"a"}', params: { id: 'bad id!' } }),
      options,
    );
    expect(badId.status).toBe(400);
    expect(JSON.parse(badId.body!)).toMatchObject({ errors: [{ in: 'path', field: 'id' }] });
    const badQuery = await executeRoute(
      createThing,
      {
        ...request({ body: '{"name":"a"}', params: { id: 'ok' } }),
        query: new URLSearchParams('dry_run=maybe'),
      },
      options,
    );
    expect(JSON.parse(badQuery.body!)).toMatchObject({ errors: [{ in: 'query', field: 'dry_run' }] });
  });

  it('requires a body when the schema does', async () => {
    const response = await executeRoute(createThing, request({ params: { id: 't1' } }), options);
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body!)).toMatchObject({ detail: 'A JSON request body is required.' });
  });

  it('answers 413 for a body over the limit, by declared length or by bytes read', async () => {
    const big = JSON.stringify({ name: 'x'.repeat(100) });
    const declared = await executeRoute(
      createThing,
      request({ body: '{}', headers: { 'content-length': '1000' }, params: { id: 't1' } }),
      options,
    );
    expect(declared.status).toBe(413);
    const read = await executeRoute(createThing, request({ body: big, params: { id: 't1' } }), options);
    expect(read.status).toBe(413);
    expect(JSON.parse(read.body!)).toMatchObject({ max_bytes: 64 });
  });

  it('answers 415 for a non-JSON content type', async () => {
    const response = await executeRoute(
      createThing,
      request({
        body: 'name=a',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        params: { id: 't' },
      }),
      options,
    );
    expect(response.status).toBe(415);
  });

  it('maps kernel errors from the handler and hides unexpected ones', async () => {
    const onInternalError = vi.fn();
    const conflict: RouteContract = {
      name: 'conflict',
      method: 'POST',
      route: 'things/{id}',
      handle: () => {
        throw new KernelError('conflict', 'Exists');
      },
    };
    const crash: RouteContract = {
      name: 'crash',
      method: 'POST',
      route: 'things/{id}',
      handle: () => {
        throw new Error('db password=x');
      },
    };
    expect(
      (await executeRoute(conflict, request({ params: { id: 'a' } }), { ...options, onInternalError }))
        .status,
    ).toBe(409);
    expect(onInternalError).not.toHaveBeenCalled();
    const crashed = await executeRoute(crash, request({ params: { id: 'a' } }), {
      ...options,
      onInternalError,
    });
    expect(crashed.status).toBe(500);
    expect(crashed.body).not.toContain('password');
    expect(onInternalError).toHaveBeenCalledOnce();
  });
});

describe('RouteTable', () => {
  const table = new RouteTable();
  table.add('GET', 'health');
  table.add('GET', 'orchestrations/{id}');
  table.add('POST', 'orchestrations/{id}/stop');

  it('answers 404 for a path no route serves', () => {
    const error = table.unmatched('GET', 'nothing/here');
    expect(error.status).toBe(404);
  });

  it('answers 405 with Allow for a known path and another method', () => {
    const error = table.unmatched('DELETE', 'orchestrations/o1');
    expect(error.status).toBe(405);
    expect(error.headers).toEqual({ allow: 'GET' });
    expect(table.unmatched('GET', 'orchestrations/o1/stop').headers).toEqual({ allow: 'POST' });
  });
});

describe('executeRoute: refusals reported to onAccessRefused', () => {
  const reader = {
    id: 'p-1',
    name: 'rita',
    kind: 'user' as const,
    roles: ['reader'],
    scopes: [],
    app_id: null,
  };

  function route(handle: RouteContract['handle']): RouteContract {
    // A real operation name, so the permission table applies: orchestrations_list needs orchestrations:read.
    return { name: 'orchestrations_list', method: 'GET', route: 'orchestrations', handle };
  }

  async function run(
    contract: RouteContract,
    authenticate: (request: KernelRequest) => Promise<typeof reader | undefined>,
  ) {
    const refusals: { status: number; principal: unknown; operation: string; path: string }[] = [];
    const response = await executeRoute(contract, request({ method: 'GET', path: '/orchestrations' }), {
      maxBodyBytes: 1024,
      authenticate,
      onAccessRefused: (refusal) => {
        refusals.push({
          status: refusal.error.status,
          principal: refusal.principal,
          operation: refusal.operation,
          path: refusal.path,
        });
      },
    });
    return { response, refusals };
  }

  it('reports a failed authentication, a missing permission and a refusal from the handler', async () => {
    const ok = route(() => ({ status: 200, body: {} }));
    const unauthenticated = await run(ok, async () => {
      throw new KernelError('unauthorized', 'Unauthorized');
    });
    expect(unauthenticated.response.status).toBe(401);
    expect(unauthenticated.refusals).toEqual([
      { status: 401, principal: undefined, operation: 'orchestrations_list', path: '/api/orchestrations' },
    ]);

    const anonymous = await run(ok, async () => undefined);
    expect(anonymous.refusals.map((r) => r.status)).toEqual([401]);

    const denied = await run(ok, async () => ({ ...reader, roles: [] }));
    expect(denied.response.status).toBe(403);
    expect(denied.refusals).toMatchObject([{ status: 403, principal: { id: 'p-1' } }]);

    const byHandler = await run(
      route(() => {
        throw new KernelError('forbidden', 'Forbidden', { detail: 'Not an approver of this gate.' });
      }),
      async () => reader,
    );
    expect(byHandler.response.status).toBe(403);
    expect(byHandler.refusals).toMatchObject([{ status: 403, principal: { id: 'p-1' } }]);
  });

  it('does not report answers that are not refusals, and survives a reporter that throws', async () => {
    for (const error of [
      KernelError.notFound('Thing'),
      new KernelError('bad_request', 'Bad'),
      new Error('boom'),
    ]) {
      const { refusals } = await run(
        route(() => {
          throw error;
        }),
        async () => reader,
      );
      expect(refusals).toEqual([]);
    }
    const response = await executeRoute(
      route(() => ({ status: 200 })),
      request({ method: 'GET' }),
      {
        maxBodyBytes: 1024,
        authenticate: async () => undefined,
        onAccessRefused: () => {
          throw new Error('audit down');
        },
      },
    );
    expect(response.status).toBe(401);
  });
});
