import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientPrincipalPayload } from '../support/client-principal';
import { clientPrincipalHeaderValue, userPayload } from '../support/client-principal';
import { startKernel } from '../support/kernel';
import type { RunningProcess } from '../support/processes';

/**
 * App Service Authentication's `x-ms-client-principal` over real HTTP: a kernel left
 * at the default ignores it (anyone can send it), and one started with
 * AOS_TRUST_CLIENT_PRINCIPAL=true takes the caller from it.
 */

let ignoring: RunningProcess;
let trusting: RunningProcess;

beforeAll(async () => {
  [ignoring, trusting] = await Promise.all([
    startKernel(),
    startKernel({ AOS_TRUST_CLIENT_PRINCIPAL: 'true' }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all([ignoring?.stop(), trusting?.stop()]);
});

const forged = clientPrincipalHeaderValue(userPayload([{ typ: 'aos_app', val: 'contoso-sales' }], ['admin']));

function whoami(kernel: RunningProcess, header: string) {
  return fetch(`${kernel.baseUrl}/api/auth/whoami`, { headers: { 'x-ms-client-principal': header } });
}

describe('x-ms-client-principal', () => {
  it('is ignored by default: a request with only that header answers 401', async () => {
    const response = await whoami(ignoring, forged);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('decides the caller when AOS_TRUST_CLIENT_PRINCIPAL is true', async () => {
    const response = await whoami(trusting, forged);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      id: '5f2b6c1e-0d3a-4e8b-9c7d-1a2b3c4d5e6f',
      name: 'alice@contoso.example',
      kind: 'user',
      app_id: 'contoso-sales',
      roles: ['admin'],
      scopes: ['Orchestrations.ReadWrite', 'Orchestrations.Approve'],
    });
  });

  it('answers a malformed header with the same 401 as a bad token when trusted', async () => {
    const malformed: ClientPrincipalPayload = { auth_typ: 'aad', claims: [{ typ: 'name', val: 'no id' }] };
    for (const header of ['%%% not base64 %%%', clientPrincipalHeaderValue(malformed)]) {
      const response = await whoami(trusting, header);
      expect(response.status, header).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      expect(await response.json()).toMatchObject({ status: 401, code: 'unauthorized' });
    }
  });

  it('answers a form-like POST it vouches for with 415, and takes the same POST as JSON', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${trusting.baseUrl}/api/auth/keys`, {
        method: 'POST',
        headers: { 'x-ms-client-principal': forged, ...headers },
        body: JSON.stringify({ name: 'from-a-form', roles: ['reader'] }),
      });
    const form = await post({ 'content-type': 'text/plain' });
    expect(form.status).toBe(415);
    expect(await form.json()).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    // As JSON it gets past authentication to the permission check, whatever that says.
    const json = await post({ 'content-type': 'application/json' });
    expect(json.status).not.toBe(415);
    expect([201, 403]).toContain(json.status);
  });
});
