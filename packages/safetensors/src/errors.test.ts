import { describe, expect, it } from 'vitest';
import { SafetensorsError, ioError } from './errors.js';

describe('SafetensorsError', () => {
  it('is bad input (exit code 2) with a stable code', () => {
    const e = new SafetensorsError('TRUNCATED', 'x');
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.exitCode, e.name]).toEqual(['TRUNCATED', 2, 'SafetensorsError']);
  });

  it('maps Node I/O failures to one-line errors that keep the cause', () => {
    const enoent = Object.assign(new Error('ENOENT: nope'), { code: 'ENOENT' });
    expect(ioError(enoent, '/a/b', 'opening')).toMatchObject({
      code: 'NOT_FOUND',
      message: '/a/b: no such file; check the path',
      cause: enoent,
    });
    expect(ioError(Object.assign(new Error('x'), { code: 'EISDIR' }), '/d', 'opening').code).toBe('NOT_FOUND');
    expect(ioError(Object.assign(new Error('no space'), { code: 'ENOSPC' }), '/f', 'writing').message).toBe(
      '/f: writing failed (no space); check permissions and free space',
    );
    const own = new SafetensorsError('TRUNCATED', 'kept');
    expect(ioError(own, '/f', 'reading')).toBe(own);
  });
});
