import { describe, expect, it } from 'vitest';
import {
  flattenHeaders,
  fromRpcHttpResponse,
  httpTriggerMetadata,
  serializeRpcCookie,
  toRpcHttpRequest,
} from '../../../../src/host/http/rpc-http';

describe('toRpcHttpRequest', () => {
  it('carries method, url, headers, query, params and the raw bytes', () => {
    const body = Buffer.from([0, 1, 2, 255]);
    const rpc = toRpcHttpRequest({
      method: 'POST',
      url: 'http://h/api/x/1?a=1&a=2&b=',
      headers: { 'content-type': 'application/octet-stream', 'x-list': ['1', '2'] },
      params: { id: '1' },
      body,
    });
    expect(rpc).toMatchObject({
      method: 'POST',
      url: 'http://h/api/x/1?a=1&a=2&b=',
      headers: { 'content-type': 'application/octet-stream', 'x-list': '1, 2' },
      query: { a: '1,2', b: '' },
      params: { id: '1' },
    });
    expect(Buffer.from(rpc.body!.bytes!)).toEqual(body);
  });

  it('omits an empty body', () => {
    expect(
      toRpcHttpRequest({ method: 'GET', url: 'http://h/', headers: {}, params: {}, body: Buffer.alloc(0) })
        .body,
    ).toBeUndefined();
  });

  it('joins cookies with semicolons', () => {
    expect(flattenHeaders({ cookie: ['a=1', 'b=2'] as unknown as string })).toEqual({ cookie: 'a=1; b=2' });
  });

  it('puts headers and params into trigger metadata for the streaming path', () => {
    const metadata = httpTriggerMetadata({
      method: 'GET',
      url: 'http://h/?q=1',
      headers: { a: 'b' },
      params: { id: '7' },
      body: undefined,
    });
    expect(JSON.parse(metadata['Headers']!.json!)).toEqual({ a: 'b' });
    expect(metadata['id']).toEqual({ string: '7' });
  });
});

describe('fromRpcHttpResponse', () => {
  it('reads status, headers, cookies and bytes', () => {
    const out = fromRpcHttpResponse({
      statusCode: '201',
      headers: { 'x-a': 'b' },
      cookies: [
        { name: 's', value: 'a b', path: { value: '/' }, httpOnly: { value: true }, sameSite: 'strict' },
      ],
      body: { bytes: new Uint8Array([104, 105]) },
    });
    expect(out.status).toBe(201);
    expect(out.headers).toEqual([['x-a', 'b']]);
    expect(out.cookies).toEqual(['s=a%20b; Path=/; HttpOnly; SameSite=Strict']);
    expect(out.body.toString()).toBe('hi');
  });

  it('answers 204 when the function returned nothing', () => {
    expect(fromRpcHttpResponse(undefined).status).toBe(204);
  });

  it('serializes expiry, max-age and SameSite=None', () => {
    expect(
      serializeRpcCookie({
        name: 'a',
        value: '1',
        expires: { value: { seconds: 0 } },
        maxAge: { value: 60 },
        secure: { value: true },
        sameSite: 'explicitNone',
      }),
    ).toBe('a=1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=60; Secure; SameSite=None');
  });
});
