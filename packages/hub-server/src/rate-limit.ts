/** Keys tracked at most; beyond, the least recently seen are forgotten (their budget starts full again). */
const MAX_KEYS = 50_000;

interface Bucket {
  tokens: number;
  updated: number;
}

/**
 * Token buckets per key: `rate` tokens per second up to `burst`. `take` answers 0 when a request may go
 * ahead, or the milliseconds until one token is back (for Retry-After). O(1) per call; the Map is kept in
 * least-recently-used order so it stays bounded.
 */
export class RateLimiter {
  private buckets = new Map<string, Bucket>();
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string): number {
    if (!(this.rate > 0)) return 0; // rate 0 or Infinity: unlimited
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.burst, updated: t };
    this.buckets.delete(key);
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.updated) / 1000) * this.rate);
    b.updated = t;
    this.buckets.set(key, b);
    if (this.buckets.size > MAX_KEYS) this.buckets.delete(this.buckets.keys().next().value as string);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.rate) * 1000);
  }
}

/** Requests in flight per key; `enter` is false at the cap. Keys at zero are removed, so the Map holds only live callers. */
export class ConcurrencyLimiter {
  private inFlight = new Map<string, number>();
  constructor(private readonly cap: number) {}

  enter(key: string): boolean {
    const n = this.inFlight.get(key) ?? 0;
    if (this.cap > 0 && n >= this.cap) return false;
    this.inFlight.set(key, n + 1);
    return true;
  }

  leave(key: string): void {
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }
}

/**
 * A counting semaphore whose waiters give up after `maxWaitMs` (the caller answers 503 then), so a burst
 * of expensive requests queues briefly instead of piling up without bound.
 */
export class Semaphore {
  private active = 0;
  private waiters: Array<{ grant: () => void; timer: NodeJS.Timeout }> = [];
  constructor(private readonly slots: number) {}

  /** Resolves true with a slot held, or false after `maxWaitMs` without one. */
  acquire(maxWaitMs: number): Promise<boolean> {
    if (this.active < this.slots) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          clearTimeout(waiter.timer);
          resolve(true);
        },
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          resolve(false);
        }, maxWaitMs),
      };
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next.grant();
    else this.active--;
  }
}
