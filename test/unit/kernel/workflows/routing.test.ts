import { describe, expect, it } from 'vitest';
import { parseRoutingTags, routingFromReply, withoutCode } from '../../../../src/kernel/workflows';

describe('parseRoutingTags', () => {
  it('finds nothing in a plain message', () => {
    expect(parseRoutingTags('Here is my draft.')).toEqual({ complete: false, handback: false });
  });

  it('reads a ROUTE tag with the exact agent id', () => {
    expect(parseRoutingTags('Over to you [ROUTE:Reviewer-2]')).toEqual({
      route: 'Reviewer-2',
      complete: false,
      handback: false,
    });
  });

  it('accepts tag names in any case and spaces around the id', () => {
    expect(parseRoutingTags('[route: writer ]').route).toBe('writer');
    expect(parseRoutingTags('[Complete]').complete).toBe(true);
    expect(parseRoutingTags('[ handback ]').handback).toBe(true);
  });

  it('keeps the agent id case as written', () => {
    expect(parseRoutingTags('[ROUTE:Writer]').route).toBe('Writer');
  });

  it('lets the last ROUTE win', () => {
    expect(parseRoutingTags('[ROUTE:a] on second thought [ROUTE:b]').route).toBe('b');
  });

  it('ignores ROUTE tags without a valid id', () => {
    expect(parseRoutingTags('[ROUTE:] [ROUTE] [ROUTE:two words] [ROUTE:bad/id]')).toEqual({
      complete: false,
      handback: false,
    });
    expect(parseRoutingTags('[ROUTE:good] [ROUTE:bad/id]').route).toBe('good');
  });

  it('ignores COMPLETE and HANDBACK with an argument, and unknown tags', () => {
    expect(parseRoutingTags('[COMPLETE:now] [HANDBACK:x] [DONE]')).toEqual({
      complete: false,
      handback: false,
    });
  });

  it('reads several tags from one message', () => {
    expect(parseRoutingTags('[HANDBACK] and [ROUTE:x] then [COMPLETE]')).toEqual({
      route: 'x',
      complete: true,
      handback: true,
    });
  });

  it('ignores tags inside fenced code blocks', () => {
    const message = ['Use tags like this:', '```', '[COMPLETE]', '[ROUTE:x]', '```', 'Next: [ROUTE:y]'].join(
      '\n',
    );
    expect(parseRoutingTags(message)).toEqual({ route: 'y', complete: false, handback: false });
  });

  it('ignores tags inside tilde fences and unclosed fences', () => {
    expect(parseRoutingTags('~~~\n[COMPLETE]\n~~~\n').complete).toBe(false);
    expect(parseRoutingTags('text\n```js\n[COMPLETE]').complete).toBe(false);
  });

  it('needs a matching fence to close a block', () => {
    expect(parseRoutingTags('````\n```\n[COMPLETE]\n````\n[HANDBACK]')).toEqual({
      complete: false,
      handback: true,
    });
  });

  it('ignores tags inside inline code', () => {
    expect(parseRoutingTags('Write `[COMPLETE]` when done, or ``[ROUTE:x]``.')).toEqual({
      complete: false,
      handback: false,
    });
    expect(parseRoutingTags('`code` then [COMPLETE]').complete).toBe(true);
  });
});

describe('withoutCode', () => {
  it('blanks code and keeps the rest', () => {
    expect(withoutCode('a `b` c\n```\nd\n```\ne')).toBe('a   c\n\n\n\ne');
  });
});

describe('routingFromReply', () => {
  it('uses the message tags when the reply has no route', () => {
    expect(routingFromReply({ message: '[ROUTE:b]' })).toEqual({
      route: 'b',
      complete: false,
      handback: false,
    });
  });

  it('prefers the structured route over a ROUTE tag in the message', () => {
    expect(routingFromReply({ message: '[ROUTE:b]', route: 'c' }).route).toBe('c');
    expect(routingFromReply({ message: '[ROUTE:b]', route: '[ROUTE:d]' }).route).toBe('d');
  });

  it('reads flags from a tag given as the route', () => {
    expect(routingFromReply({ message: 'done', route: '[COMPLETE]' }).complete).toBe(true);
    expect(routingFromReply({ message: 'back', route: '[handback]' }).handback).toBe(true);
  });

  it('falls back to the message when the route is blank or invalid', () => {
    expect(routingFromReply({ message: '[ROUTE:b]', route: ' ' }).route).toBe('b');
    expect(routingFromReply({ message: '[ROUTE:b]', route: 'not an id' }).route).toBe('b');
  });
});
