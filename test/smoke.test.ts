// The package's entry points register what API.md promises, and only once.
import * as tf from '@tensorflow/tfjs-core';
import {expect} from 'chai';
import {ALL_KERNEL_NAMES} from '../src/kernel_names.js';

describe('package entry', () => {
  it('registers a cpu kernel for every kernel name', () => {
    for (const name of ALL_KERNEL_NAMES) {
      expect(tf.getKernel(name, 'cpu'), name).to.not.equal(undefined);
    }
  });
});
