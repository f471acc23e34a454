// The bounded memo behind the kernels' geometry caches (src/util/memo.ts).
import {expect} from 'chai';
import {BoundedMemo} from '../src/util/memo.js';

describe('BoundedMemo', () => {
  it('keeps at most maxEntries, dropping the least recently used', () => {
    const memo = new BoundedMemo<number, number>(3);
    let made = 0;
    const get = (k: number) => memo.get(k, () => (made++, k * 10));
    expect([get(1), get(2), get(3)]).to.deep.equal([10, 20, 30]);
    expect(get(1)).to.equal(10);  // a hit, and now the most recent
    expect(made).to.equal(3);
    get(4);                       // drops 2, the least recently used
    expect(memo.size).to.equal(3);
    get(1);
    get(3);
    expect(made).to.equal(4);
    get(2);                       // recomputed
    expect(made).to.equal(5);
    for (let k = 0; k < 1000; k++) get(100 + k);
    expect(memo.size).to.equal(3);
  });

  it('keeps the total weight within its budget and does not keep an entry above a quarter', () => {
    const memo = new BoundedMemo<string, number[]>(100, 100, (v) => v.length);
    memo.get('a', () => new Array(25).fill(0));
    memo.get('b', () => new Array(25).fill(0));
    memo.get('c', () => new Array(25).fill(0));
    memo.get('d', () => new Array(25).fill(0));
    expect(memo.size).to.equal(4);
    memo.get('e', () => new Array(10).fill(0));  // 110 > 100: 'a' goes
    expect(memo.size).to.equal(4);
    let made = 0;
    memo.get('a', () => (made++, []));
    expect(made).to.equal(1);
    const big = memo.get('big', () => new Array(26).fill(0));
    expect(big.length).to.equal(26);
    let again = 0;
    memo.get('big', () => (again++, []));
    expect(again, 'an entry above a quarter of the budget is not kept').to.equal(1);
  });
});
