/**
 * Typed reads from untrusted JSON that fail with a canonical invalid_request naming the
 * offending field by its dotted path (`messages.2.content.0.type`), the way Anthropic's
 * own 400s do ("messages.0.role: Field required"); and header reads.
 *
 * Format-neutral: api/responses uses it too. It lives here only because this change may
 * not create files outside api/anthropic and api/responses; it can move to
 * src/api/read-fields.ts unchanged.
 *
 * Optional fields treat `null` as absent (OpenAI clients send `"temperature": null`).
 * Only own properties are read, so keys such as `__proto__` or `constructor` in the
 * body are plain data.
 */
import { invalid, type TurnFailure } from '../../turn/types.js';
import type { WireContext } from '../wire.js';

export type JsonObject = Record<string, unknown>;

export const isJsonObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** How a value looks, for error messages. */
export function describeJson(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'an object';
    default:
      return typeof v;
  }
}

/** `base.key`, or `key` at the root. */
export const fieldPath = (base: string, key: string | number): string => (base === '' ? String(key) : `${base}.${key}`);

/** invalid_request for the field at `path`: "path: problem". */
export const invalidAt = (path: string, problem: string): TurnFailure => invalid(`${path}: ${problem}`, path);

export const wrongType = (path: string, expected: string, got: unknown): TurnFailure => invalidAt(path, `expected ${expected}, got ${describeJson(got)}`);

export const fieldRequired = (path: string): TurnFailure => invalidAt(path, 'field required');

/** Reads the fields of one JSON object; every error names `path.key`. */
export class Fields {
  private constructor(
    readonly obj: JsonObject,
    /** Dotted path of this object ('' for the request body). */
    readonly path: string,
  ) {}

  /** Wraps `value`, which must be an object. */
  static of(value: unknown, path: string): Fields {
    if (!isJsonObject(value)) {
      if (path === '') throw invalid(`request body: expected a JSON object, got ${describeJson(value)}`);
      throw wrongType(path, 'an object', value);
    }
    return new Fields(value, path);
  }

  at(key: string): string {
    return fieldPath(this.path, key);
  }

  /** The raw value, undefined when absent or null. */
  raw(key: string): unknown {
    if (!Object.hasOwn(this.obj, key)) return undefined;
    const v = this.obj[key];
    return v === null ? undefined : v;
  }

  has(key: string): boolean {
    return this.raw(key) !== undefined;
  }

  string(key: string): string | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'string') throw wrongType(this.at(key), 'a string', v);
    return v;
  }

  requiredString(key: string): string {
    const v = this.string(key);
    if (v === undefined) throw fieldRequired(this.at(key));
    return v;
  }

  /** A required string that must not be empty. */
  nonEmptyString(key: string): string {
    const v = this.requiredString(key);
    if (v === '') throw invalidAt(this.at(key), 'must not be empty');
    return v;
  }

  number(key: string, range?: { min?: number; max?: number }): number | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw wrongType(this.at(key), 'a number', v);
    if (range?.min !== undefined && v < range.min) {
      throw invalidAt(this.at(key), `must be at least ${range.min}, got ${v}`);
    }
    if (range?.max !== undefined && v > range.max) {
      throw invalidAt(this.at(key), `must be at most ${range.max}, got ${v}`);
    }
    return v;
  }

  integer(key: string, range?: { min?: number; max?: number }): number | undefined {
    const v = this.number(key, range);
    if (v !== undefined && !Number.isSafeInteger(v)) throw wrongType(this.at(key), 'an integer', v);
    return v;
  }

  boolean(key: string): boolean | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw wrongType(this.at(key), 'a boolean', v);
    return v;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, values: readonly T[]): T | undefined {
    const v = this.string(key);
    if (v === undefined) return undefined;
    if (!(values as readonly string[]).includes(v)) {
      throw invalid(`${this.at(key)}: must be one of ${values.map((x) => `'${x}'`).join(', ')}, got '${v}'`, this.at(key));
    }
    return v as T;
  }

  array(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === undefined) return undefined;
    if (!Array.isArray(v)) throw wrongType(this.at(key), 'an array', v);
    return v;
  }

  requiredArray(key: string): unknown[] {
    const v = this.array(key);
    if (v === undefined) throw fieldRequired(this.at(key));
    return v;
  }

  stringArray(key: string): string[] | undefined {
    const v = this.array(key);
    if (v === undefined) return undefined;
    return v.map((item, i) => {
      if (typeof item !== 'string') throw wrongType(fieldPath(this.at(key), i), 'a string', item);
      return item;
    });
  }

  /** A nested object as Fields. */
  object(key: string): Fields | undefined {
    const v = this.raw(key);
    return v === undefined ? undefined : Fields.of(v, this.at(key));
  }

  requiredObject(key: string): Fields {
    const v = this.object(key);
    if (v === undefined) throw fieldRequired(this.at(key));
    return v;
  }

  /** A nested object passed on as is (JSON Schemas). */
  record(key: string): JsonObject | undefined {
    return this.object(key)?.obj;
  }
}

/** The first of `names` present as a non-blank header, trimmed. */
export function headerValue(ctx: WireContext, names: readonly string[]): string | undefined {
  for (const name of names) {
    const v = ctx.headers[name]?.trim();
    if (v) return v;
  }
  return undefined;
}
