/**
 * Route templates for HTTP triggers in the local Functions runtime. Azure Functions
 * routes requests with ASP.NET Core templates (`items/{id:int}`, `{*rest}`), and a
 * function's route must select the same requests locally as in the cloud, so this
 * module reproduces that dialect: matching, constraints and which route wins when
 * several match.
 */

export class RouteTemplateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RouteTemplateError';
  }
}

export interface CompiledRoute {
  readonly template: string;
  /**
   * One rank per template segment, lower = more specific; compare lexicographically
   * (a shorter key that is a prefix of a longer one is more specific). See compareRoutePrecedence.
   */
  readonly precedence: readonly number[];
  /**
   * Route values for `path` (the part after the route prefix, without query string),
   * or undefined when the route does not match. Omitted optional parameters and an
   * empty catch-all without a default are absent from the result.
   */
  match(path: string): Record<string, string> | undefined;
}

/** Negative when `a` is more specific than `b`, so `routes.sort(compareRoutePrecedence)` puts the winner first. */
export function compareRoutePrecedence(a: CompiledRoute, b: CompiledRoute): number {
  const length = Math.min(a.precedence.length, b.precedence.length);
  for (let i = 0; i < length; i++) {
    const diff = (a.precedence[i] ?? 0) - (b.precedence[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return a.precedence.length - b.precedence.length;
}

// Segment ranks, in the order ASP.NET Core prefers them when several routes match.
const RANK_LITERAL = 0;
const RANK_CONSTRAINED = 1;
const RANK_PARAMETER = 2;
const RANK_OPTIONAL_CONSTRAINED = 3;
const RANK_OPTIONAL = 4;
const RANK_CATCH_ALL_CONSTRAINED = 5;
const RANK_CATCH_ALL = 6;

type Constraint = (value: string) => boolean;

/** Throws a RouteTemplateError naming the template; typed so TypeScript narrows after a call. */
type Fail = (problem: string) => never;

interface LiteralSegment {
  readonly kind: 'literal';
  readonly text: string;
}

interface ParameterSegment {
  readonly kind: 'parameter';
  readonly name: string;
  readonly catchAll: boolean;
  readonly optional: boolean;
  readonly defaultValue: string | undefined;
  readonly constraints: readonly Constraint[];
}

type Segment = LiteralSegment | ParameterSegment;

export function compileRoute(template: string): CompiledRoute {
  const fail: Fail = (problem) => {
    throw new RouteTemplateError(`Route template '${template}' ${problem}`);
  };
  const trimmed = template.replace(/^\/+/, '').replace(/\/+$/, '');
  const segments: Segment[] = [];
  const names = new Set<string>();
  if (trimmed !== '') {
    const texts = trimmed.split('/');
    texts.forEach((text, index) => {
      if (text === '') fail('has an empty segment (two consecutive slashes)');
      const segment = parseSegment(text, fail);
      if (segment.kind === 'parameter') {
        const key = segment.name.toLowerCase();
        if (names.has(key)) fail(`uses the parameter name '${segment.name}' more than once`);
        names.add(key);
        if (segment.catchAll && index !== texts.length - 1) {
          fail(`has the catch-all parameter '${segment.name}' before the last segment`);
        }
      }
      segments.push(segment);
    });
  }
  // An optional parameter can only be left out if everything after it can be too;
  // otherwise '{a?}/b' would need a path that skips a segment in the middle.
  const firstOptional = segments.findIndex((s) => s.kind === 'parameter' && s.optional);
  if (firstOptional >= 0) {
    const required = segments.slice(firstOptional + 1).find((s) => !canBeOmitted(s));
    if (required !== undefined) {
      const offender = segments[firstOptional] as ParameterSegment;
      fail(`has the optional parameter '${offender.name}' before a required segment`);
    }
  }
  return new Route(template, segments);
}

function canBeOmitted(segment: Segment): boolean {
  return (
    segment.kind === 'parameter' &&
    (segment.optional || segment.catchAll || segment.defaultValue !== undefined)
  );
}

function parseSegment(text: string, fail: Fail): Segment {
  if (!text.startsWith('{')) {
    if (text.includes('{')) fail(mixedSegment(text));
    if (text.includes('}')) fail(`has a '}' without a matching '{' in segment '${text}'`);
    if (text.includes('?') || text.includes('*')) fail(`has '?' or '*' outside braces in segment '${text}'`);
    return { kind: 'literal', text };
  }
  const end = findParameterEnd(text);
  // With an unclosed '(' the scan cannot find the end; parseParameter then reports the '('.
  const unclosedParen = end < 0 && text.endsWith('}');
  if (end < 0 && !unclosedParen) fail(`has an unclosed '{' in segment '${text}'`);
  if (end >= 0 && end !== text.length - 1) fail(mixedSegment(text));
  return parseParameter(text.slice(1, -1), fail);
}

function mixedSegment(text: string): string {
  return `mixes literal text and a parameter in segment '${text}'; a parameter must fill its whole segment`;
}

/** Index of the '}' closing the parameter that opens `text`, looking past braces inside constraint arguments. */
function findParameterEnd(text: string): number {
  for (let i = 1; i < text.length; i++) {
    const c = text[i];
    if (c === '(') {
      i = findClosingParen(text, i);
      if (i < 0) return -1;
    } else if (c === '}') {
      return i;
    }
  }
  return -1;
}

/** Parses `[*|**]name[:constraint[(args)]]...[?|=default]`, the inside of one `{...}`. */
function parseParameter(body: string, fail: Fail): ParameterSegment {
  const stars = /^\*{0,2}/.exec(body)?.[0].length ?? 0;
  const catchAll = stars > 0;
  let pos = stars;
  const nameMatch = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body.slice(pos));
  if (nameMatch === null) {
    return fail(`has a parameter '{${body}}' without a valid name (letters, digits and '_')`);
  }
  const name = nameMatch[0];
  if (name === '__proto__') fail("uses the reserved parameter name '__proto__'");
  pos += name.length;

  const constraints: Constraint[] = [];
  while (body[pos] === ':') {
    const constraintName = /^[A-Za-z]+/.exec(body.slice(pos + 1))?.[0];
    if (constraintName === undefined) fail(`has an empty constraint on parameter '${name}'`);
    pos += 1 + constraintName.length;
    let args: string | undefined;
    if (body[pos] === '(') {
      const close = findClosingParen(body, pos);
      if (close < 0) fail(`has an unclosed '(' in a constraint on parameter '${name}'`);
      args = body.slice(pos + 1, close);
      pos = close + 1;
    }
    constraints.push(buildConstraint(constraintName, args, name, fail));
  }

  let optional = false;
  let defaultValue: string | undefined;
  if (body[pos] === '?') {
    optional = true;
    pos += 1;
  } else if (body[pos] === '=') {
    defaultValue = body.slice(pos + 1);
    pos = body.length;
  }
  if (pos !== body.length) fail(`has unexpected text '${body.slice(pos)}' in parameter '${name}'`);
  if (optional && catchAll) fail(`marks the catch-all parameter '${name}' optional; catch-alls always are`);
  if (defaultValue !== undefined) {
    if (defaultValue === '') fail(`has an empty default value for parameter '${name}'`);
    const fallback = defaultValue;
    if (!constraints.every((accepts) => accepts(fallback))) {
      fail(`has a default value '${defaultValue}' for parameter '${name}' that its constraints reject`);
    }
  }
  return { kind: 'parameter', name, catchAll, optional, defaultValue, constraints };
}

/**
 * Finds the ')' closing the '(' at `open`, skipping escaped characters and character
 * classes, so a regex constraint may contain its own parentheses.
 */
function findClosingParen(body: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      depth++;
    } else if (c === ')') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function parseInteger(value: string, min: bigint, max: bigint): bigint | undefined {
  if (!/^[+-]?\d+$/.test(value)) return undefined;
  const n = BigInt(value);
  return n >= min && n <= max ? n : undefined;
}

function isDouble(value: string): boolean {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(value) && Number.isFinite(Number(value));
}

function isGuid(value: string): boolean {
  const hex = '[0-9a-f]';
  const dashed = `${hex}{8}-${hex}{4}-${hex}{4}-${hex}{4}-${hex}{12}`;
  return new RegExp(`^(${hex}{32}|${dashed}|\\{${dashed}\\}|\\(${dashed}\\))$`, 'i').test(value);
}

/** ISO 8601 dates and date-times; rejects dates that do not exist, which Date.parse would roll over. */
function isDateTime(value: string): boolean {
  const m =
    /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/i.exec(
      value,
    );
  if (m === null) return false;
  const [, y, mo, d, h = '0', mi = '0', s = '0'] = m;
  const month = Number(mo);
  const day = Number(d);
  const daysInMonth = new Date(Date.UTC(2000, month, 0)).getUTCDate();
  const leapAdjusted = month === 2 && !isLeapYear(Number(y)) ? 28 : daysInMonth;
  return (
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= leapAdjusted &&
    Number(h) <= 23 &&
    Number(mi) <= 59 &&
    Number(s) <= 59
  );
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function buildConstraint(name: string, args: string | undefined, parameter: string, fail: Fail): Constraint {
  const where = `constraint '${name}' on parameter '${parameter}'`;
  const numbers = (count: number): bigint[] => {
    const parts = args === undefined ? [] : args.split(',').map((a) => a.trim());
    if (parts.length !== count || !parts.every((p) => /^[+-]?\d+$/.test(p))) {
      fail(`has ${where} that needs ${count} integer argument${count === 1 ? '' : 's'}`);
    }
    return parts.map((p) => BigInt(p));
  };
  const noArgs = (): void => {
    if (args !== undefined) fail(`has ${where} that takes no arguments`);
  };
  const asLong = (value: string): bigint | undefined => parseInteger(value, INT64_MIN, INT64_MAX);

  switch (name.toLowerCase()) {
    case 'int':
      noArgs();
      return (v) => parseInteger(v, INT32_MIN, INT32_MAX) !== undefined;
    case 'long':
      noArgs();
      return (v) => asLong(v) !== undefined;
    case 'double':
    case 'float':
    case 'decimal':
      noArgs();
      return isDouble;
    case 'bool':
      noArgs();
      return (v) => /^(true|false)$/i.test(v);
    case 'alpha':
      noArgs();
      return (v) => /^[a-z]+$/i.test(v);
    case 'guid':
      noArgs();
      return isGuid;
    case 'datetime':
      noArgs();
      return isDateTime;
    case 'minlength': {
      const [min = 0n] = numbers(1);
      return (v) => BigInt(v.length) >= min;
    }
    case 'maxlength': {
      const [max = 0n] = numbers(1);
      return (v) => BigInt(v.length) <= max;
    }
    case 'length': {
      // length(n) is exact; length(min,max) is a range, as in ASP.NET Core.
      const parts = numbers(args?.includes(',') === true ? 2 : 1);
      const [min = 0n, max = min] = parts;
      if (min > max) fail(`has ${where} whose minimum exceeds its maximum`);
      return (v) => BigInt(v.length) >= min && BigInt(v.length) <= max;
    }
    case 'min': {
      const [min = 0n] = numbers(1);
      return (v) => {
        const n = asLong(v);
        return n !== undefined && n >= min;
      };
    }
    case 'max': {
      const [max = 0n] = numbers(1);
      return (v) => {
        const n = asLong(v);
        return n !== undefined && n <= max;
      };
    }
    case 'range': {
      const [min = 0n, max = 0n] = numbers(2);
      if (min > max) fail(`has ${where} whose minimum exceeds its maximum`);
      return (v) => {
        const n = asLong(v);
        return n !== undefined && n >= min && n <= max;
      };
    }
    case 'regex': {
      if (args === undefined || args === '') return fail(`has ${where} without a pattern`);
      // Templates escape braces by doubling them; ASP.NET Core's regex constraint is
      // case-insensitive and unanchored, so patterns need their own ^ and $ to match whole values.
      const pattern = args.replace(/\{\{/g, '{').replace(/\}\}/g, '}');
      let regex: RegExp;
      try {
        regex = new RegExp(pattern, 'i');
      } catch (error) {
        return fail(`has ${where} with an invalid pattern: ${(error as Error).message}`);
      }
      return (v) => regex.test(v);
    }
    default:
      return fail(`has an unknown constraint '${name}' on parameter '${parameter}'`);
  }
}

/** Percent-decodes like ASP.NET Core does for paths: malformed escapes are left as they are. */
function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

class Route implements CompiledRoute {
  readonly precedence: readonly number[];

  constructor(
    readonly template: string,
    private readonly segments: readonly Segment[],
  ) {
    this.precedence = segments.map(rank);
  }

  match(path: string): Record<string, string> | undefined {
    const trimmed = path.replace(/^\//, '').replace(/\/$/, '');
    const parts = trimmed === '' ? [] : trimmed.split('/');
    const values: Record<string, string> = {};
    let i = 0;
    for (const segment of this.segments) {
      if (segment.kind === 'literal') {
        const part = parts[i++];
        if (part === undefined || decode(part).toLowerCase() !== segment.text.toLowerCase()) return undefined;
        continue;
      }
      if (segment.catchAll) {
        // Decoding after joining keeps the remainder's slashes; '%2F' decodes to a slash too.
        const rest = decode(parts.slice(i).join('/'));
        i = parts.length;
        const value = rest === '' ? segment.defaultValue : rest;
        if (value === undefined) continue;
        if (!segment.constraints.every((accepts) => accepts(value))) return undefined;
        values[segment.name] = value;
        continue;
      }
      const part = parts[i++];
      if (part === undefined) {
        if (segment.defaultValue !== undefined) values[segment.name] = segment.defaultValue;
        else if (!segment.optional) return undefined;
        continue;
      }
      const value = decode(part);
      if (value === '' || !segment.constraints.every((accepts) => accepts(value))) return undefined;
      values[segment.name] = value;
    }
    return i >= parts.length ? values : undefined;
  }
}

function rank(segment: Segment): number {
  if (segment.kind === 'literal') return RANK_LITERAL;
  const constrained = segment.constraints.length > 0;
  if (segment.catchAll) return constrained ? RANK_CATCH_ALL_CONSTRAINED : RANK_CATCH_ALL;
  if (segment.optional || segment.defaultValue !== undefined) {
    return constrained ? RANK_OPTIONAL_CONSTRAINED : RANK_OPTIONAL;
  }
  return constrained ? RANK_CONSTRAINED : RANK_PARAMETER;
}
