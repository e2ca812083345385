import { z } from 'zod';
import { getServices } from '../../composition/root';
import { permissionsOf } from '../../kernel/auth/access';
import { KernelError } from '../../kernel/errors';
import { mountRoute } from './mount-route';

/** Who am I, and API keys (created by those who may manage keys; shown once). */

function required<T>(principal: T | undefined): T {
  if (principal === undefined) throw new KernelError('unauthorized', 'Unauthorized');
  return principal;
}

mountRoute({
  name: 'auth_whoami',
  method: 'GET',
  route: 'auth/whoami',
  handle({ principal }) {
    const me = required(principal);
    return {
      status: 200,
      body: {
        id: me.id,
        name: me.name,
        kind: me.kind,
        app_id: me.app_id,
        roles: me.roles,
        scopes: me.scopes,
        permissions: [...permissionsOf(me)].sort(),
      },
    };
  },
});

mountRoute({
  name: 'auth_keys_create',
  method: 'POST',
  route: 'auth/keys',
  body: z.unknown(),
  async handle({ body, principal }) {
    const { apiKeys } = await getServices();
    const created = await apiKeys.create(body, required(principal));
    return {
      status: 201,
      body: { ...created.record, key: created.secret },
      headers: { 'cache-control': 'no-store' },
    };
  },
});

mountRoute({
  name: 'auth_keys_list',
  method: 'GET',
  route: 'auth/keys',
  async handle({ principal }) {
    const { apiKeys } = await getServices();
    const me = required(principal);
    return {
      status: 200,
      body: { keys: await apiKeys.list(me.app_id === null ? {} : { app_id: me.app_id }, me) },
    };
  },
});

mountRoute({
  name: 'auth_keys_delete',
  method: 'DELETE',
  route: 'auth/keys/{id}',
  params: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/) }),
  async handle({ params, principal }) {
    const { apiKeys } = await getServices();
    await apiKeys.revoke(params.id, required(principal));
    return { status: 204 };
  },
});
