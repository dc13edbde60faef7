// Draws media/icon.png (128×128), the extension's icon: four GPU columns
// holding expert blocks, the hot experts in amber. Run
// `node --import tsx scripts/drawIcon.ts` after changing the drawing; the PNG is
// committed. Node's zlib does the compression and the CRC, so no image library
// is needed for a flat geometric mark.
import { writeFileSync } from 'node:fs';
import { crc32, deflateSync } from 'node:zlib';
import { join } from 'node:path';

const SIZE = 128;
/** Samples per pixel side: edges are averaged over 4×4 sub-pixels (anti-aliasing). */
const SS = 4;

type Rgba = [number, number, number, number];
const BACKGROUND: Rgba = [24, 33, 48, 255];
const COLUMN: Rgba = [40, 55, 78, 255];
const COOL: Rgba = [64, 190, 200, 255];
const HOT: Rgba = [245, 166, 35, 255];

/** A rounded rectangle: x, y, width, height, corner radius (pixels), colour. */
interface Shape {
  x: number;
  y: number;
  w: number;
  h: number;
  r: number;
  color: Rgba;
}

function inside(s: Shape, px: number, py: number): boolean {
  if (px < s.x || py < s.y || px > s.x + s.w || py > s.y + s.h) return false;
  const cx = Math.min(Math.max(px, s.x + s.r), s.x + s.w - s.r);
  const cy = Math.min(Math.max(py, s.y + s.r), s.y + s.h - s.r);
  return (px - cx) ** 2 + (py - cy) ** 2 <= s.r ** 2;
}

function shapes(): Shape[] {
  const out: Shape[] = [{ x: 0, y: 0, w: SIZE, h: SIZE, r: 22, color: BACKGROUND }];
  // Which expert slots are hot in each GPU column (row 0 is the top): spread
  // one or two per GPU, the picture of a balanced placement.
  const hot = [[0], [2], [1, 3], [3]];
  const cols = 4;
  const rows = 4;
  const margin = 16;
  const gap = 8;
  const colW = (SIZE - 2 * margin - (cols - 1) * gap) / cols;
  for (let c = 0; c < cols; c++) {
    const x = margin + c * (colW + gap);
    out.push({ x, y: margin, w: colW, h: SIZE - 2 * margin, r: 6, color: COLUMN });
    const cell = colW - 8;
    const step = (SIZE - 2 * margin - 8 - cell) / (rows - 1);
    for (let r = 0; r < rows; r++) {
      out.push({ x: x + 4, y: margin + 4 + r * step, w: cell, h: cell, r: 4, color: hot[c]!.includes(r) ? HOT : COOL });
    }
  }
  return out;
}

function render(): Buffer {
  const list = shapes();
  const rgba = Buffer.alloc(SIZE * SIZE * 4);
  for (let y = 0; y < SIZE; y++) {
    for (let x = 0; x < SIZE; x++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const px = x + (sx + 0.5) / SS;
          const py = y + (sy + 0.5) / SS;
          let color: Rgba = [0, 0, 0, 0];
          for (const s of list) if (inside(s, px, py)) color = s.color;
          // Premultiplied, so transparent samples do not darken the edge.
          for (let i = 0; i < 3; i++) acc[i]! += (color[i]! * color[3]) / 255;
          acc[3]! += color[3];
        }
      }
      const n = SS * SS;
      const a = acc[3]! / n;
      const o = (y * SIZE + x) * 4;
      for (let i = 0; i < 3; i++) rgba[o + i] = a === 0 ? 0 : Math.round((acc[i]! / n) * (255 / a));
      rgba[o + 3] = Math.round(a);
    }
  }
  return rgba;
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/** An 8-bit RGBA PNG (colour type 6), each row with filter 0. */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y++) rgba.copy(raw, y * (1 + width * 4) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

if (require.main === module) {
  const out = join(__dirname, '..', 'media', 'icon.png');
  writeFileSync(out, encodePng(SIZE, SIZE, render()));
  console.log(`wrote ${out}`);
}
