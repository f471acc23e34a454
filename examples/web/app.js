// examples/web: drop an image, pick a decoder exported from PyTorch (scripts/export_web_models.py)
// and a backend; see input and output side by side, ms per run, and the largest difference from
// PyTorch's outputs stored in the export's check.safetensors (tfjsTorch.checkExport on the
// backend in use). Uses the script-tag bundles: the globals tf and tfjsTorch.
//
// Sizes: an export with fixed sizes (model.json's input shape has numbers) runs on the image
// resized to that size; an export with dynamic sizes (null height and width) runs at the image's
// own size, scaled down to at most MAX_SIDE pixels on its longer side.
/* global tf, tfjsTorch */
'use strict';

const MODELS = {
  espcn: 'models/espcn/',
  segnet: 'models/segnet/',
};
const MAX_SIDE = 256;
const RUNS = 3;
// Segmentation classes, drawn over the input at half opacity.
const PALETTE = [[230, 25, 75], [60, 180, 75], [0, 130, 200], [255, 225, 25], [145, 30, 180],
                 [70, 240, 240], [245, 130, 48], [128, 128, 128]];

const $ = (id) => document.getElementById(id);
const app = {model: null, meta: null, name: '', image: null, busy: Promise.resolve(),
             lastOutput: null, lastMs: null, diff: null, runs: 0, error: null};
window.tfjsTorchApp = app;

function status(text, fraction) {
  $('status').textContent = text;
  if (fraction != null) $('progress').value = fraction;
}

/** Runs jobs one after another (a change of model, backend or image while one runs waits). */
function queue(job) {
  app.busy = app.busy.then(job).catch((e) => {
    app.error = String(e && e.message || e);
    status(`error: ${app.error}`);
    console.error(e);
  });
  return app.busy;
}

/** The model's image input: channel axis, and its height and width (null where dynamic). */
function inputLayout(model) {
  const s = model.inputs[0].shape;  // [batch, H, W, C] or [batch, C, H, W]
  const channelsFirst = s.length === 4 && (s[1] === 3 || s[1] === 1) && s[3] !== 3 && s[3] !== 1;
  const [h, w, c] = channelsFirst ? [s[2], s[3], s[1]] : [s[1], s[2], s[3]];
  return {channelsFirst, h, w, c};
}

/** The size to run at: the model's, or the image's own scaled to MAX_SIDE when dynamic. */
function runSize(layout, image) {
  if (layout.h != null && layout.w != null) return [layout.h, layout.w];
  const scale = Math.min(1, MAX_SIDE / Math.max(image.width, image.height));
  return [layout.h ?? Math.max(1, Math.round(image.height * scale)),
          layout.w ?? Math.max(1, Math.round(image.width * scale))];
}

async function loadImage(url) {
  const blob = await (await fetch(url)).blob();
  return createImageBitmap(blob, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'});
}

async function loadModel(name) {
  app.model?.dispose();
  app.model = null;
  const base = MODELS[name];
  status(`loading ${name}`, 0);
  const metaResponse = await fetch(`${base}meta.json`);
  // An export of your own (?export=URL of its folder) may have no meta.json: an image model.
  app.meta = metaResponse.ok ? await metaResponse.json() :
      {title: base, kind: 'image', source: base, torch: '?', input: null};
  app.model = await tf.loadLayersModel(`${base}model.json`, {
    onProgress: (f) => status(`loading ${name}: ${Math.round(f * 100)}%`, f),
  });
  app.name = name;
  const layout = inputLayout(app.model);
  $('about').textContent = `${app.meta.title}; input ${layout.h ?? 'any'} x ${layout.w ?? 'any'} ` +
      `(${layout.channelsFirst ? 'channelsFirst' : 'channelsLast'}); exported from ${app.meta.source}, torch ${app.meta.torch}`;
  status(`loaded ${name}`, 1);
}

async function checkAgainstPyTorch() {
  status(`checking against PyTorch on ${tf.getBackend()}`);
  const r = await tfjsTorch.checkExport(app.model, `${MODELS[app.name]}check.safetensors`);
  app.diff = {backend: tf.getBackend(), maxAbsDiff: Math.max(...r.outputs.map((o) => o.maxAbsDiff)), ok: r.ok};
  const d = $('diff');
  d.textContent = `${app.diff.maxAbsDiff.toExponential(2)} on ${app.diff.backend} (${r.ok ? 'within' : 'OUTSIDE'} 1e-4 + 1e-4 |torch|)`;
  d.className = r.ok ? 'good' : 'bad';
}

/** The image as the model's input tensor in [0, 1], drawn on the input canvas at [h, w]. */
function inputTensor(image, h, w, channelsFirst) {
  const canvas = $('input');
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.imageSmoothingQuality = 'high';
  ctx.drawImage(image, 0, 0, w, h);
  $('input-caption').textContent = `input ${w} x ${h}`;
  return tf.tidy(() => {
    const rgb = tf.browser.fromPixels(ctx.getImageData(0, 0, w, h), 3).toFloat().div(255).expandDims(0);
    return channelsFirst ? rgb.transpose([0, 3, 1, 2]) : rgb;
  });
}

/** Draws the model's output: an image (clamped to [0, 1]) or per-class scores (argmax, over the input). */
async function drawOutput(y, channelsFirst) {
  const canvas = $('output');
  const hwc = tf.tidy(() => (channelsFirst ? y.transpose([0, 2, 3, 1]) : y).squeeze([0]));
  const [h, w, c] = hwc.shape;
  canvas.width = w;
  canvas.height = h;
  if (app.meta.kind === 'segmentation') {
    const classes = tf.tidy(() => hwc.argMax(-1));
    const labels = await classes.data();
    classes.dispose();
    const inCtx = $('input').getContext('2d', {willReadFrequently: true});
    const under = inCtx.getImageData(0, 0, w, h).data;
    const img = new ImageData(w, h);
    for (let i = 0; i < labels.length; i++) {
      const p = PALETTE[labels[i] % PALETTE.length];
      for (let k = 0; k < 3; k++) img.data[4 * i + k] = Math.round(0.5 * under[4 * i + k] + 0.5 * p[k]);
      img.data[4 * i + 3] = 255;
    }
    canvas.getContext('2d').putImageData(img, 0, 0);
    $('output-caption').textContent = `output ${w} x ${h}: argmax of ${c} classes over the input`;
  } else {
    const clipped = tf.tidy(() => hwc.clipByValue(0, 1));
    await tf.browser.toPixels(clipped, canvas);
    clipped.dispose();
    $('output-caption').textContent = `output ${w} x ${h}`;
  }
  hwc.dispose();
}

async function run() {
  if (app.model == null || app.image == null) return;
  const layout = inputLayout(app.model);
  const [h, w] = runSize(layout, app.image);
  const x = inputTensor(app.image, h, w, layout.channelsFirst);
  status(`running on ${tf.getBackend()}`);
  let y = null;
  const times = [];
  try {
    for (let i = 0; i < RUNS; i++) {
      tf.dispose(y);
      const t0 = performance.now();
      y = app.model.predict(x);
      await y.data();
      times.push(performance.now() - t0);
    }
    app.lastMs = times;
    // The first run compiles shaders / warms caches; the rest are what a run costs.
    const steady = times.slice(1);
    $('ms').textContent = `${(steady.reduce((a, b) => a + b, 0) / steady.length).toFixed(1)} ms ` +
        `(first run ${times[0].toFixed(1)} ms; ${tf.getBackend()}, ${w} x ${h})`;
    await drawOutput(y, layout.channelsFirst);
    app.lastOutput = {shape: y.shape, values: Array.from(await y.data()), backend: tf.getBackend(),
                      inputSize: [h, w]};
    app.runs++;
    status(`done on ${tf.getBackend()}`, 1);
  } finally {
    tf.dispose([x, y]);
  }
}

async function setBackend(name) {
  status(`starting ${name}`);
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} is not available in this browser`);
  await tf.ready();
}

function useImage(image) {
  app.image = image;
  return queue(run);
}

async function start() {
  tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
  const params = new URLSearchParams(location.search);
  // ?export=<folder URL>: any export of tfjs_torch.export (model.json, check.safetensors).
  if (params.get('export')) MODELS.yours = params.get('export').replace(/\/?$/, '/');
  for (const name of Object.keys(MODELS)) $('model').add(new Option(name, name));
  $('model').value = params.get('model') ?? 'espcn';
  const wantedBackend = params.get('backend') ?? (navigator.gpu ? 'webgpu' : 'webgl');
  $('backend').value = wantedBackend;
  await queue(async () => {
    await setBackend(wantedBackend);
    await loadModel($('model').value);
    await checkAgainstPyTorch();
    app.image = await loadImage(app.meta.input ? `${MODELS[app.name]}${app.meta.input}` :
                                                 `${MODELS.espcn}input.png`);
    await run();
  });
  $('model').onchange = () => queue(async () => {
    await loadModel($('model').value);
    await checkAgainstPyTorch();
    await run();
  });
  $('backend').onchange = () => queue(async () => {
    await setBackend($('backend').value);
    await checkAgainstPyTorch();
    await run();
  });
  $('file').onchange = async () => {
    const f = $('file').files[0];
    if (f) useImage(await createImageBitmap(f, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'}));
  };
  const drop = $('drop');
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', async (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const f = e.dataTransfer.files[0];
    if (f) {
      drop.textContent = `dropped ${f.name}`;
      await useImage(await createImageBitmap(f, {colorSpaceConversion: 'none', premultiplyAlpha: 'none'}));
    }
  });
}

start();
