import { describe, expect, it } from 'vitest';

import {
  compareRoutePrecedence,
  compileRoute,
  RouteTemplateError,
} from '../../../../src/kernel/http/route-template';

function winner(templates: string[], path: string): string | undefined {
  return templates
    .map(compileRoute)
    .filter((route) => route.match(path) !== undefined)
    .sort(compareRoutePrecedence)[0]?.template;
}

describe('compileRoute matching', () => {
  it('matches literal segments case-insensitively', () => {
    const route = compileRoute('orchestrations/stats');
    expect(route.template).toBe('orchestrations/stats');
    expect(route.match('orchestrations/stats')).toEqual({});
    expect(route.match('/Orchestrations/STATS')).toEqual({});
    expect(route.match('orchestrations/other')).toBeUndefined();
  });

  it('ignores leading and trailing slashes in the template and tolerates them in the path', () => {
    const route = compileRoute('/items/{id}/');
    expect(route.match('items/7')).toEqual({ id: '7' });
    expect(route.match('/items/7/')).toEqual({ id: '7' });
  });

  it('captures parameters by name', () => {
    expect(compileRoute('agents/{agentId}/runs/{runId}').match('agents/a1/runs/r9')).toEqual({
      agentId: 'a1',
      runId: 'r9',
    });
  });

  it('does not match paths with extra or missing segments', () => {
    const route = compileRoute('items/{id}');
    expect(route.match('items/1/extra')).toBeUndefined();
    expect(route.match('items')).toBeUndefined();
    expect(route.match('')).toBeUndefined();
  });

  it('does not match an empty segment in place of a parameter', () => {
    expect(compileRoute('a/{x}/b').match('a//b')).toBeUndefined();
  });

  it('matches an optional parameter whether present or absent', () => {
    const route = compileRoute('items/{id?}');
    expect(route.match('items/42')).toEqual({ id: '42' });
    expect(route.match('items')).toEqual({});
    expect(route.match('items/')).toEqual({});
  });

  it('supplies defaults for omitted parameters', () => {
    const route = compileRoute('{controller=Home}/{action=Index}/{id?}');
    expect(route.match('')).toEqual({ controller: 'Home', action: 'Index' });
    expect(route.match('products')).toEqual({ controller: 'products', action: 'Index' });
    expect(route.match('products/list/3')).toEqual({ controller: 'products', action: 'list', id: '3' });
  });

  it('matches an empty template only against an empty path', () => {
    const route = compileRoute('');
    expect(route.match('')).toEqual({});
    expect(route.match('/')).toEqual({});
    expect(route.match('x')).toBeUndefined();
  });

  it('captures the remaining path, slashes included, in a catch-all', () => {
    const route = compileRoute('files/{*path}');
    expect(route.match('files/a/b/c.txt')).toEqual({ path: 'a/b/c.txt' });
    expect(route.match('files/readme')).toEqual({ path: 'readme' });
  });

  it('matches a catch-all with an empty remainder, leaving it out of the values', () => {
    const route = compileRoute('files/{**path}');
    expect(route.match('files')).toEqual({});
    expect(route.match('files/')).toEqual({});
  });

  it('uses a catch-all default for an empty remainder', () => {
    expect(compileRoute('files/{*path=index.html}').match('files')).toEqual({ path: 'index.html' });
  });

  it('percent-decodes parameter values and literals', () => {
    expect(compileRoute('users/{name}').match('users/J%C3%BCrgen%20M')).toEqual({ name: 'Jürgen M' });
    expect(compileRoute('my files/{name}').match('my%20files/x')).toEqual({ name: 'x' });
    expect(compileRoute('files/{*path}').match('files/a%20b/c')).toEqual({ path: 'a b/c' });
  });

  it('keeps a %2F-encoded slash inside one parameter', () => {
    expect(compileRoute('items/{id}').match('items/a%2Fb')).toEqual({ id: 'a/b' });
  });

  it('leaves malformed percent escapes as they are', () => {
    expect(compileRoute('items/{id}').match('items/100%')).toEqual({ id: '100%' });
  });
});

describe('compileRoute constraints', () => {
  const accepts = (template: string, value: string): boolean =>
    compileRoute(template).match(`x/${encodeURIComponent(value)}`) !== undefined;

  it('int accepts 32-bit integers only', () => {
    expect(accepts('x/{id:int}', '42')).toBe(true);
    expect(accepts('x/{id:int}', '-7')).toBe(true);
    expect(accepts('x/{id:int}', '2147483647')).toBe(true);
    expect(accepts('x/{id:int}', '2147483648')).toBe(false);
    expect(accepts('x/{id:int}', '4.2')).toBe(false);
    expect(accepts('x/{id:int}', 'abc')).toBe(false);
  });

  it('long accepts 64-bit integers only', () => {
    expect(accepts('x/{id:long}', '9223372036854775807')).toBe(true);
    expect(accepts('x/{id:long}', '9223372036854775808')).toBe(false);
  });

  it('double accepts decimal and exponent notation', () => {
    expect(accepts('x/{v:double}', '3.14')).toBe(true);
    expect(accepts('x/{v:double}', '-1e10')).toBe(true);
    expect(accepts('x/{v:double}', 'NaN')).toBe(false);
    expect(accepts('x/{v:double}', '1.2.3')).toBe(false);
  });

  it('alpha accepts letters only', () => {
    expect(accepts('x/{v:alpha}', 'Hello')).toBe(true);
    expect(accepts('x/{v:alpha}', 'hello1')).toBe(false);
  });

  it('bool accepts true and false in any case', () => {
    expect(accepts('x/{v:bool}', 'TRUE')).toBe(true);
    expect(accepts('x/{v:bool}', 'false')).toBe(true);
    expect(accepts('x/{v:bool}', 'yes')).toBe(false);
  });

  it('guid accepts the usual GUID spellings', () => {
    expect(accepts('x/{v:guid}', '3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBe(true);
    expect(accepts('x/{v:guid}', '3F2504E04F8911D39A0C0305E82C3301')).toBe(true);
    expect(accepts('x/{v:guid}', '{3f2504e0-4f89-11d3-9a0c-0305e82c3301}')).toBe(true);
    expect(accepts('x/{v:guid}', '3f2504e0-4f89-11d3-9a0c')).toBe(false);
  });

  it('datetime accepts real ISO dates and rejects impossible ones', () => {
    expect(accepts('x/{v:datetime}', '2026-02-28')).toBe(true);
    expect(accepts('x/{v:datetime}', '2028-02-29T10:30:00Z')).toBe(true);
    expect(accepts('x/{v:datetime}', '2026-02-29')).toBe(false);
    expect(accepts('x/{v:datetime}', 'yesterday')).toBe(false);
  });

  it('length constraints check the value length', () => {
    expect(accepts('x/{v:minlength(3)}', 'abc')).toBe(true);
    expect(accepts('x/{v:minlength(3)}', 'ab')).toBe(false);
    expect(accepts('x/{v:maxlength(3)}', 'abcd')).toBe(false);
    expect(accepts('x/{v:length(2)}', 'ab')).toBe(true);
    expect(accepts('x/{v:length(2)}', 'abc')).toBe(false);
    expect(accepts('x/{v:length(2,4)}', 'abcd')).toBe(true);
    expect(accepts('x/{v:length(2,4)}', 'abcde')).toBe(false);
  });

  it('min, max and range check integer values', () => {
    expect(accepts('x/{v:min(10)}', '10')).toBe(true);
    expect(accepts('x/{v:min(10)}', '9')).toBe(false);
    expect(accepts('x/{v:max(10)}', '11')).toBe(false);
    expect(accepts('x/{v:range(1,5)}', '5')).toBe(true);
    expect(accepts('x/{v:range(1,5)}', '6')).toBe(false);
    expect(accepts('x/{v:range(1,5)}', 'five')).toBe(false);
  });

  it('regex matches case-insensitively and may contain parentheses, braces and colons', () => {
    expect(accepts('x/{v:regex(^[a-z]{{2}}\\d+$)}', 'AB12')).toBe(true);
    expect(accepts('x/{v:regex(^[a-z]{2}\\d+$)}', 'ab')).toBe(false);
    expect(accepts('x/{v:regex(^(ab|cd)(:\\d)?$)}', 'cd:5')).toBe(true);
    expect(accepts('x/{v:regex(^(ab|cd)(:\\d)?$)}', 'ef')).toBe(false);
  });

  it('combines several constraints', () => {
    expect(accepts('x/{v:int:min(5)}', '6')).toBe(true);
    expect(accepts('x/{v:int:min(5)}', '4')).toBe(false);
  });

  it('applies constraints to optional parameters only when present', () => {
    const route = compileRoute('items/{id:int?}');
    expect(route.match('items')).toEqual({});
    expect(route.match('items/5')).toEqual({ id: '5' });
    expect(route.match('items/five')).toBeUndefined();
  });
});

describe('route precedence', () => {
  it('prefers a literal over a parameter over a catch-all', () => {
    const templates = ['{*path}', 'orchestrations/{id}', 'orchestrations/stats'];
    expect(winner(templates, 'orchestrations/stats')).toBe('orchestrations/stats');
    expect(winner(templates, 'orchestrations/abc')).toBe('orchestrations/{id}');
    expect(winner(templates, 'other/thing')).toBe('{*path}');
  });

  it('prefers a constrained parameter over a plain one', () => {
    const templates = ['items/{name}', 'items/{id:int}'];
    expect(winner(templates, 'items/12')).toBe('items/{id:int}');
    expect(winner(templates, 'items/widget')).toBe('items/{name}');
  });

  it('prefers a plain parameter over an optional one, and an optional one over a catch-all', () => {
    const templates = ['items/{*rest}', 'items/{id?}', 'items/{id}'];
    expect(winner(templates, 'items/1')).toBe('items/{id}');
    expect(winner(templates, 'items')).toBe('items/{id?}');
  });

  it('sorts a list of routes from most to least specific', () => {
    const sorted = ['{*path}', 'a/{x?}', 'a/{x}', 'a/{x:int}', 'a/b', 'a/{*rest}']
      .map(compileRoute)
      .sort(compareRoutePrecedence)
      .map((r) => r.template);
    expect(sorted).toEqual(['a/b', 'a/{x:int}', 'a/{x}', 'a/{x?}', 'a/{*rest}', '{*path}']);
  });

  it('prefers the shorter route when one precedence key is a prefix of the other', () => {
    expect(compareRoutePrecedence(compileRoute('a'), compileRoute('a/{*rest}'))).toBeLessThan(0);
    expect(compareRoutePrecedence(compileRoute('a/{x}'), compileRoute('a/{y}'))).toBe(0);
  });

  it('exposes the precedence key per segment', () => {
    const literal = compileRoute('a/b').precedence;
    const param = compileRoute('a/{b}').precedence;
    expect(literal).toHaveLength(2);
    expect(literal[0]).toBe(param[0]);
    expect(literal[1]).toBeLessThan(param[1] ?? 0);
  });
});

describe('compileRoute invalid templates', () => {
  const rejects = (template: string, message: RegExp): void => {
    expect(() => compileRoute(template)).toThrow(RouteTemplateError);
    expect(() => compileRoute(template)).toThrow(message);
  };

  it('rejects a catch-all that is not the last segment', () => {
    rejects('{*rest}/x', /catch-all parameter 'rest' before the last segment/);
  });

  it('rejects an optional parameter followed by a required segment', () => {
    rejects('items/{id?}/details', /optional parameter 'id' before a required segment/);
  });

  it('rejects segments mixing literal text and a parameter', () => {
    rejects('files/{name}.{ext}', /mixes literal text and a parameter/);
    rejects('v{version}', /mixes literal text and a parameter/);
  });

  it('rejects empty segments and unbalanced braces', () => {
    rejects('a//b', /empty segment/);
    rejects('a/{id', /unclosed '\{' in segment '\{id'/);
    rejects('a/id}', /'\}' without a matching '\{'/);
  });

  it('rejects duplicate parameter names regardless of case', () => {
    rejects('{id}/{ID}', /parameter name 'ID' more than once/);
  });

  it('rejects missing or invalid parameter names', () => {
    rejects('{}', /without a valid name/);
    rejects('{1abc}', /without a valid name/);
    rejects('{a-b}', /unexpected text '-b'/);
  });

  it('rejects unknown constraints and bad constraint arguments', () => {
    rejects('{id:number}', /unknown constraint 'number'/);
    rejects('{id:minlength}', /needs 1 integer argument/);
    rejects('{id:range(5)}', /needs 2 integer arguments/);
    rejects('{id:range(5,1)}', /minimum exceeds its maximum/);
    rejects('{id:int(3)}', /takes no arguments/);
    rejects('{id:regex(()}', /unclosed '\('/);
    rejects('{id:regex([)}', /unclosed|invalid pattern/);
    rejects('{id:}', /empty constraint/);
  });

  it('rejects optional catch-alls and defaults that break their constraints', () => {
    rejects('{*rest?}', /catch-all parameter 'rest' optional/);
    rejects('{id:int=abc}', /default value 'abc'/);
  });

  it('rejects ? and * outside braces', () => {
    rejects('items?', /outside braces/);
  });
});
