import { z } from 'zod';
import { getServices } from '../../composition/root';
import { apiKeyCreatedEvent, apiKeyRevokedEvent } from '../../kernel/audit';
import { permissionsOf } from '../../kernel/auth/access';
import { required } from './caller';
import { mountRoute } from './mount-route';

/** Who am I, and API keys (created by those who may manage keys; shown once). */

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
    const { apiKeys, audit } = await getServices();
    const actor = required(principal);
    const created = await apiKeys.create(body, actor);
    await audit.recordQuietly(apiKeyCreatedEvent(actor, created.record));
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
    const { apiKeys, audit } = await getServices();
    const actor = required(principal);
    const revoked = await apiKeys.revoke(params.id, actor);
    await audit.recordQuietly(apiKeyRevokedEvent(actor, revoked));
    return { status: 204 };
  },
});
