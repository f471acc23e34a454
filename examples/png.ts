// PNG helpers for the examples: read an RGB image into a [1, H, W, 3] float tensor in [0, 1],
// write tensors back, and compose a grid of labelled tiles (with a tiny built-in bitmap font, so
// the examples need no canvas or font files).
import * as tf from '@tensorflow/tfjs-core';
import * as fs from 'fs';
import * as path from 'path';
import {PNG} from 'pngjs';

export function readImage(file: string): tf.Tensor4D {
  const png = PNG.sync.read(fs.readFileSync(file));
  const {width, height, data} = png;
  const rgb = new Float32Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = data[p * 4 + c] / 255;
  }
  return tf.tensor4d(rgb, [1, height, width, 3]);
}

/** 3x5 glyphs, five rows of three cells separated by '/' ('#' = ink). */
const GLYPHS: Record<string, string> = {
  'A': '.#./#.#/###/#.#/#.#', 'B': '##./#.#/##./#.#/##.', 'C': '.##/#../#../#../.##', 'D': '##./#.#/#.#/#.#/##.',
  'E': '###/#../##./#../###', 'F': '###/#../##./#../#..', 'G': '.##/#../#.#/#.#/.##', 'H': '#.#/#.#/###/#.#/#.#',
  'I': '###/.#./.#./.#./###', 'J': '..#/..#/..#/#.#/.#.', 'K': '#.#/#.#/##./#.#/#.#', 'L': '#../#../#../#../###',
  'M': '#.#/###/###/#.#/#.#', 'N': '##./#.#/#.#/#.#/#.#', 'O': '.#./#.#/#.#/#.#/.#.', 'P': '##./#.#/##./#../#..',
  'Q': '.#./#.#/#.#/##./.##', 'R': '##./#.#/##./#.#/#.#', 'S': '.##/#../.#./..#/##.', 'T': '###/.#./.#./.#./.#.',
  'U': '#.#/#.#/#.#/#.#/###', 'V': '#.#/#.#/#.#/#.#/.#.', 'W': '#.#/#.#/###/###/#.#', 'X': '#.#/#.#/.#./#.#/#.#',
  'Y': '#.#/#.#/.#./.#./.#.', 'Z': '###/..#/.#./#../###', '0': '###/#.#/#.#/#.#/###', '1': '.#./##./.#./.#./###',
  '2': '##./..#/.#./#../###', '3': '##./..#/.#./..#/##.', '4': '#.#/#.#/###/..#/..#', '5': '###/#../##./..#/##.',
  '6': '.##/#../###/#.#/###', '7': '###/..#/.#./.#./.#.', '8': '###/#.#/###/#.#/###', '9': '###/#.#/###/..#/##.',
  '-': '.../.../###/.../...', '.': '.../.../.../.../.#.', ':': '.../.#./.../.#./...', ' ': '.../.../.../.../...',
  '=': '.../###/.../###/...', '(': '.#./#../#../#../.#.', ')': '.#./..#/..#/..#/.#.',
};

export interface Tile {
  label: string;
  /** [1, H, W, 3] or [H, W, 3] values in [0, 1]. */
  image: tf.Tensor;
}

/** Writes tiles side by side (wrapping after `columns`), each under its label, to a PNG file. */
export async function writeGrid(file: string, tiles: Tile[], columns = 4): Promise<void> {
  const scale = 2;
  const labelH = 5 * scale + 6;
  const pad = 6;
  const imgs = await Promise.all(tiles.map(async (t) => {
    const img = t.image.rank === 4 ? tf.squeeze(t.image, [0]) : t.image;
    const [h, w] = img.shape;
    const data = await img.data();
    if (img !== t.image) img.dispose();
    return {h, w, data, label: t.label.toUpperCase()};
  }));
  const cellW = Math.max(...imgs.map((i) => Math.max(i.w, i.label.length * 4 * scale))) + pad;
  const cellH = Math.max(...imgs.map((i) => i.h)) + labelH + pad;
  const rows = Math.ceil(imgs.length / columns);
  const png = new PNG({width: cellW * Math.min(columns, imgs.length) + pad, height: cellH * rows + pad});
  png.data.fill(255);
  const put = (x: number, y: number, r: number, g: number, b: number) => {
    const o = (y * png.width + x) * 4;
    png.data[o] = r; png.data[o + 1] = g; png.data[o + 2] = b; png.data[o + 3] = 255;
  };
  imgs.forEach((img, k) => {
    const x0 = pad + (k % columns) * cellW;
    const y0 = pad + Math.floor(k / columns) * cellH;
    [...img.label].forEach((ch, n) => {
      const glyph = GLYPHS[ch] ?? GLYPHS[' '];
      const cells = glyph.replace(/\//g, '');
      for (let cell = 0; cell < 15; cell++) {
        if (cells[cell] !== '#') continue;
        const gx = x0 + n * 4 * scale + (cell % 3) * scale;
        const gy = y0 + Math.floor(cell / 3) * scale;
        for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) put(gx + dx, gy + dy, 0, 0, 0);
      }
    });
    for (let y = 0; y < img.h; y++) {
      for (let x = 0; x < img.w; x++) {
        const o = (y * img.w + x) * 3;
        const v = (c: number) => Math.round(Math.min(1, Math.max(0, img.data[o + c])) * 255);
        put(x0 + x, y0 + labelH + y, v(0), v(1), v(2));
      }
    }
  });
  fs.mkdirSync(path.dirname(file), {recursive: true});
  fs.writeFileSync(file, PNG.sync.write(png));
}
