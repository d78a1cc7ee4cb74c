import { describe, expect, it } from 'vitest';
import { ConcurrencyLimiter, RateLimiter, Semaphore } from './rate-limit.js';

describe('limiters', () => {
  it('RateLimiter allows a burst, then one request per 1/rate seconds, and says how long to wait', () => {
    let now = 0;
    const rl = new RateLimiter(2, 3, () => now);
    expect([rl.take('a'), rl.take('a'), rl.take('a')]).toEqual([0, 0, 0]);
    expect(rl.take('a')).toBe(500);
    expect(rl.take('b')).toBe(0); // keys are independent
    now += 500;
    expect(rl.take('a')).toBe(0);
    expect(rl.take('a')).toBe(500);
    expect(new RateLimiter(0, 0).take('x')).toBe(0); // rate 0: unlimited
    expect(rl.take('__proto__')).toBe(0);
  });

  it('ConcurrencyLimiter caps in-flight requests per key', () => {
    const cl = new ConcurrencyLimiter(2);
    expect([cl.enter('a'), cl.enter('a'), cl.enter('a'), cl.enter('b')]).toEqual([true, true, false, true]);
    cl.leave('a');
    expect(cl.enter('a')).toBe(true);
  });

  it('Semaphore queues briefly and gives up after the wait', async () => {
    const s = new Semaphore(1);
    expect(await s.acquire(10)).toBe(true);
    expect(await s.acquire(20)).toBe(false);
    const waiting = s.acquire(1000);
    s.release();
    expect(await waiting).toBe(true);
    s.release();
  });
});
