import { describe, expect, it } from 'vitest';
import { CliphubError, CliphubFileError, isCliphubError } from './errors.js';

class ThingError extends CliphubError<'BAD_THING' | 'THING_FAILED'> {
  override name = 'ThingError';
}

describe('CliphubError', () => {
  it('carries a code, exit code 2 by default, and is recognised through subclasses', () => {
    const e = new ThingError('BAD_THING', 'the thing is bad; pass a good one');
    expect([e.code, e.exitCode, e.name, e.message]).toEqual([
      'BAD_THING',
      2,
      'ThingError',
      'the thing is bad; pass a good one',
    ]);
    expect(e).toBeInstanceOf(CliphubError);
    expect(isCliphubError(e)).toBe(true);
    expect(isCliphubError(new Error('x'))).toBe(false);
  });

  it('takes exit code 1 for failed checks and keeps the cause', () => {
    const cause = new Error('inner');
    const e = new ThingError('THING_FAILED', 'check failed', { exitCode: 1, cause });
    expect([e.exitCode, e.cause]).toEqual([1, cause]);
  });

  it('names the file to blame in a CliphubFileError, with exit code 2', () => {
    class FileThingError extends CliphubFileError<'BAD_FILE'> {
      override name = 'FileThingError';
    }
    const e = new FileThingError('BAD_FILE', 'x.json is bad; fix it', 'x.json');
    expect([e.code, e.exitCode, e.name, e.file]).toEqual(['BAD_FILE', 2, 'FileThingError', 'x.json']);
    expect(isCliphubError(e)).toBe(true);
    expect(new FileThingError('BAD_FILE', 'no file').file).toBeUndefined();
  });
});
