import { describe, expect, it } from 'vitest';
import { TurnFailure } from '../../turn/types.js';
import { describeJson, Fields, fieldPath, headerValue } from './read-fields.js';

const failure = (fn: () => unknown): TurnFailure => {
  try {
    fn();
  } catch (e) {
    if (e instanceof TurnFailure) return e;
    throw e;
  }
  throw new Error('expected a TurnFailure');
};

describe('Fields', () => {
  it('rejects a body that is not an object, without a param', () => {
    const e = failure(() => Fields.of([1], ''));
    expect(e.error).toEqual({ kind: 'invalid_request', message: 'request body: expected a JSON object, got an array' });
  });

  it('names nested fields by dotted path', () => {
    const f = Fields.of({ a: { b: 3 } }, '');
    const e = failure(() => f.requiredObject('a').string('b'));
    expect(e.error).toMatchObject({ kind: 'invalid_request', param: 'a.b', message: 'a.b: expected a string, got a number' });
  });

  it('treats null as absent for optional fields and as missing for required ones', () => {
    const f = Fields.of({ t: null, s: null }, 'x');
    expect(f.number('t')).toBeUndefined();
    expect(f.has('t')).toBe(false);
    expect(failure(() => f.requiredString('s')).error).toMatchObject({ param: 'x.s', message: 'x.s: field required' });
  });

  it('reads only own properties', () => {
    const f = Fields.of(JSON.parse('{"__proto__": "p"}'), '');
    expect(f.string('__proto__')).toBe('p');
    expect(f.raw('constructor')).toBeUndefined();
    expect(f.raw('toString')).toBeUndefined();
  });

  it('checks integers, ranges and enums', () => {
    const f = Fields.of({ n: 1.5, m: -1, e: 'x', big: 2 ** 60 }, '');
    expect(failure(() => f.integer('n')).message).toBe('n: expected an integer, got a number');
    expect(failure(() => f.integer('big')).message).toBe('big: expected an integer, got a number');
    expect(failure(() => f.number('m', { min: 0 })).message).toBe('m: must be at least 0, got -1');
    expect(failure(() => f.oneOf('e', ['a', 'b'])).message).toBe("e: must be one of 'a', 'b', got 'x'");
  });

  it('reports the element of a string array that is wrong', () => {
    const f = Fields.of({ s: ['a', 2] }, 'r');
    expect(failure(() => f.stringArray('s')).error.param).toBe('r.s.1');
  });

  it('requires non-empty strings where asked', () => {
    expect(failure(() => Fields.of({ id: '' }, '').nonEmptyString('id')).message).toBe('id: must not be empty');
  });
});

describe('describeJson / fieldPath', () => {
  it('describes JSON values', () => {
    expect([null, [], 'a', 1, true, {}].map(describeJson)).toEqual(['null', 'an array', 'a string', 'a number', 'a boolean', 'an object']);
  });
  it('joins paths', () => {
    expect(fieldPath('', 'a')).toBe('a');
    expect(fieldPath('a', 0)).toBe('a.0');
  });
});

describe('headerValue', () => {
  it('returns the first non-blank header of the list, trimmed', () => {
    const ctx = { headers: { a: '  ', b: ' x ', c: 'y' } };
    expect(headerValue(ctx, ['a', 'b', 'c'])).toBe('x');
    expect(headerValue(ctx, ['z'])).toBeUndefined();
  });
});
