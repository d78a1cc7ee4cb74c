import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { lazyProgress } from './progress.js';

function tty(): Writable & { isTTY: boolean; columns: number; text(): string } {
  let out = '';
  const w = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return Object.assign(w, { isTTY: true, columns: 100, text: () => out });
}

describe('lazyProgress', () => {
  it('draws nothing, and finishes without a newline, when no progress was reported', () => {
    const s = tty();
    lazyProgress(s, 'exporting').finish();
    expect(s.text()).toBe('');
  });

  it('creates the bar with the first reported total and completes it on finish', () => {
    const s = tty();
    const p = lazyProgress(s, 'exporting');
    p.update(0, 2048, 'visual.proj');
    p.finish();
    expect(s.text()).toMatch(/^\rexporting \[-+\]\s+0% .*visual\.proj/);
    expect(s.text()).toMatch(/\rexporting \[#+\] 100% [^\n]*\n$/);
  });

  it('stays silent when disabled (--json)', () => {
    const s = tty();
    const p = lazyProgress(s, 'exporting', false);
    p.update(1, 2);
    p.finish();
    expect(s.text()).toBe('');
  });
});
