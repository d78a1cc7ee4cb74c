/**
 * A Map bounded by total weight (by default one per entry), evicting the least recently used; keys never
 * touch a prototype. Weighing a commit snapshot by its file count bounds memory, not just entries.
 */
export class LruCache<K, V> {
  private entries = new Map<K, V>();
  private total = 0;
  constructor(
    private readonly capacity: number,
    private readonly weigh: (value: V) => number = () => 1,
  ) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    this.delete(key);
    this.entries.set(key, value);
    this.total += this.weigh(value);
    // the newest entry always stays, even when it alone is over capacity
    while (this.total > this.capacity && this.entries.size > 1) this.delete(this.entries.keys().next().value as K);
  }

  delete(key: K): void {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.entries.delete(key);
    this.total -= this.weigh(old);
  }

  /** Drops every key `matches` accepts (O(size); for rare events such as a repo's deletion). */
  deleteWhere(matches: (key: K) => boolean): void {
    for (const key of [...this.entries.keys()]) if (matches(key)) this.delete(key);
  }
}
