// A small bounded memo for the tables kernels derive from a geometry (a model calls the same
// layer shapes again and again, while an app that sees many input sizes must not grow a cache
// without bound). Least recently used entries are dropped first; an entry heavier than a
// quarter of the budget is computed and returned but not kept.

export class BoundedMemo<K, V> {
  private readonly entries = new Map<K, {value: V, weight: number}>();
  private total = 0;

  /**
   * maxEntries: how many entries are kept at most. maxWeight / weightOf: an optional budget
   * (say, bytes) over the kept entries, each weighing weightOf(value).
   */
  constructor(
      private readonly maxEntries: number, private readonly maxWeight = Infinity,
      private readonly weightOf: (value: V) => number = () => 0) {}

  /** The value for `key`, computed with `make` on a miss. */
  get(key: K, make: () => V): V {
    const hit = this.entries.get(key);
    if (hit != null) {
      // Re-inserted as the most recent.
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.value;
    }
    const value = make();
    const weight = this.weightOf(value);
    if (weight > this.maxWeight / 4) return value;
    for (const [oldKey, old] of this.entries) {
      if (this.entries.size < this.maxEntries && this.total + weight <= this.maxWeight) break;
      this.entries.delete(oldKey);
      this.total -= old.weight;
    }
    this.entries.set(key, {value, weight});
    this.total += weight;
    return value;
  }

  /** Number of entries kept (for tests). */
  get size(): number {
    return this.entries.size;
  }
}
