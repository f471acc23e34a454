// Shared by umd.html (the script-tag bundle) and esm.html (the ESM build through esbuild): on
// cpu, webgl and wasm, one op against PyTorch's row (1, 1.25, 1.75, 2: F.interpolate bilinear)
// and the committed U-Net export loaded by URL and checked against its check.safetensors
// (PyTorch's outputs). scripts/test-web.mjs reads window.bundleResult.
/* global window */
window.runBundleChecks = async function(tf, pt, setWasmPaths) {
  setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const out = {globals: Object.keys(window).filter((k) => /^tfjs|^tf$/.test(k)).sort()};
  for (const backend of ['cpu', 'webgl', 'wasm']) {
    try {
      if (!(await tf.setBackend(backend))) throw new Error('setBackend failed');
      const x = tf.tensor4d([1, 2, 3, 4], [1, 2, 2, 1]);
      const y = pt.interpolate(x, {scaleFactor: 2, mode: 'bilinear'});
      const row = Array.from(await y.data()).slice(0, 4);
      tf.dispose([x, y]);
      const model = await tf.loadLayersModel('/examples/decoders/exported/unet/model.json');
      const check = await pt.checkExport(model, '/examples/decoders/exported/unet/check.safetensors');
      model.dispose();
      out[backend] = {backend: tf.getBackend(), row, ok: check.ok, maxAbsDiff: check.outputs[0].maxAbsDiff};
    } catch (e) {
      out[backend] = {error: String(e && e.stack || e)};
    }
  }
  return out;
};
