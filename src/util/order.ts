// The cheapest order of a few separable passes (one per resized spatial axis), for the kernels
// that plan passes (cpu and webgl interpolate): every order is tried, at most 3! = 6.

/**
 * The order of `items` with the smallest `cost`; among equal costs the first order generated
 * (items taken in their given order first) wins.
 */
export function cheapestOrder<T>(items: readonly T[], cost: (order: T[]) => number): T[] {
  let best = items.slice();
  let bestCost = Infinity;
  const permute = (done: T[], rest: T[]) => {
    if (rest.length === 0) {
      const c = cost(done);
      if (c < bestCost) {
        bestCost = c;
        best = done;
      }
      return;
    }
    for (const r of rest) permute([...done, r], rest.filter((x) => x !== r));
  };
  permute([], items.slice());
  return best;
}
