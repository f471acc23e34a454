// pt.checkExport's value comparison: NaN must match NaN, an infinity the same infinity (a finite
// value is never within a tolerance of one), finite values within atol + rtol * |torch|.
import {expect} from 'chai';
import {compare} from '../src/check_export.js';

describe('checkExport comparison', () => {
  const f = (v: number[]) => new Float32Array(v);
  it('takes equal infinities and NaN for NaN', () => {
    const r = compare(f([Infinity, -Infinity, NaN, 1]), f([Infinity, -Infinity, NaN, 1.00005]), false, 1e-4, 1e-4);
    expect(r.ok).to.equal(true);
    expect(r.maxAbsDiff).to.be.closeTo(5e-5, 1e-6);
  });
  it('refuses a finite value where PyTorch gives an infinity, and the other infinity', () => {
    expect(compare(f([1e30]), f([Infinity]), false, 1e-4, 1e-4).ok).to.equal(false);
    expect(compare(f([-Infinity]), f([Infinity]), false, 1e-4, 1e-4).ok).to.equal(false);
    expect(compare(f([Infinity]), f([3]), false, 1e-4, 1e-4).ok).to.equal(false);
  });
  it('refuses NaN against a number and a number against NaN', () => {
    expect(compare(f([NaN]), f([0]), false, 1e-4, 1e-4).ok).to.equal(false);
    expect(compare(f([0]), f([NaN]), false, 1e-4, 1e-4).ok).to.equal(false);
  });
  it('refuses a difference over the tolerance, and any difference for integers', () => {
    expect(compare(f([1.001]), f([1]), false, 1e-4, 1e-4).ok).to.equal(false);
    expect(compare(new Int32Array([3]), new Int32Array([4]), true, 1, 1).ok).to.equal(false);
  });
});
