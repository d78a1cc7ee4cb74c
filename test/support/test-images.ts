// Test helper: small varied images written with sharp (odd sizes, grey, alpha, JPEG).
import path from 'node:path';
import sharp from 'sharp';

function pattern(w: number, h: number, c: number, seed: number): Buffer {
  const buf = Buffer.alloc(w * h * c);
  let s = seed;
  for (let i = 0; i < buf.length; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    const x = (i / c) % w;
    const y = Math.floor(i / c / w);
    buf[i] = (x * 7 + y * 3 + (i % c) * 60 + ((s >> 16) % 40)) & 0xff;
  }
  return buf;
}

/** Writes five images into dir and returns their paths, in a fixed order. */
export async function writeTestImages(dir: string): Promise<string[]> {
  const specs: Array<[string, number, number, 1 | 3 | 4, 'png' | 'jpeg']> = [
    ['odd-rgb.png', 77, 45, 3, 'png'],
    ['tall.jpg', 40, 90, 3, 'jpeg'],
    ['grey.png', 50, 50, 1, 'png'],
    ['alpha.png', 64, 33, 4, 'png'],
    ['small.jpg', 21, 17, 3, 'jpeg'],
  ];
  const out: string[] = [];
  for (const [name, w, h, c, fmt] of specs) {
    const file = path.join(dir, name);
    const img = sharp(pattern(w, h, c, out.length + 1), { raw: { width: w, height: h, channels: c } });
    await (fmt === 'png' ? img.png() : img.jpeg({ quality: 90 })).toFile(file);
    out.push(file);
  }
  return out;
}
