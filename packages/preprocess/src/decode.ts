import sharp from 'sharp';
import { PreprocessError } from './errors.js';
import type { RawImage } from './resample.js';

/** A decoded image in the mode Pillow would resize it in. */
export interface DecodedImage extends RawImage {
  /** 'rgb' (3 ch), 'rgba-premultiplied' (4 ch, alpha last, as Pillow's RGBa), 'cmyk' (4 ch) */
  mode: 'rgb' | 'rgba-premultiplied' | 'cmyk';
}

const describe = (input: string | Buffer): string => (typeof input === 'string' ? input : 'the image buffer');

// Pillow's MULDIV255: a * b / 255 with its rounding.
const mulDiv255 = (a: number, b: number): number => {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
};

/**
 * Decodes a file or buffer with sharp into the pixels Pillow would hold: grey becomes RGB, alpha gets
 * premultiplied (Pillow resizes RGBA as RGBa), CMYK stays CMYK. EXIF orientation and embedded ICC profiles are
 * ignored, as PIL's open + convert('RGB') ignores them.
 */
export async function decodeImage(input: string | Buffer): Promise<DecodedImage> {
  const name = describe(input);
  try {
    const meta = await sharp(input, { failOn: 'error', ignoreIcc: true }).metadata();
    const img = sharp(input, { failOn: 'error', ignoreIcc: true });
    if (meta.space === 'cmyk') {
      // Keep the stored CMYK bands: without pipelineColourspace, libvips round-trips them through an ICC profile.
      const { data, info } = await img
        .pipelineColourspace('cmyk')
        .toColourspace('cmyk')
        .raw({ depth: 'uchar' })
        .toBuffer({ resolveWithObject: true });
      return {
        data: new Uint8Array(data.buffer, data.byteOffset, data.length),
        width: info.width,
        height: info.height,
        channels: 4,
        mode: 'cmyk',
      };
    }
    const pipeline = meta.hasAlpha ? img.toColourspace('srgb').ensureAlpha() : img.toColourspace('srgb').removeAlpha();
    const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    const pixels = new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (info.channels === 4) {
      for (let i = 0; i < pixels.length; i += 4) {
        const a = pixels[i + 3] as number;
        for (let c = 0; c < 3; c++) pixels[i + c] = mulDiv255(pixels[i + c] as number, a);
      }
      return { data: pixels, width: info.width, height: info.height, channels: 4, mode: 'rgba-premultiplied' };
    }
    return { data: pixels, width: info.width, height: info.height, channels: 3, mode: 'rgb' };
  } catch (e) {
    if (e instanceof PreprocessError) throw e;
    const why = (e as Error).message.split('\n')[0];
    throw new PreprocessError(
      'IMAGE_UNREADABLE',
      `cannot decode ${name}: ${why}; check that it is a valid image file`,
      typeof input === 'string' ? input : undefined,
    );
  }
}

/** Pillow's `convert('RGB')` from each working mode: unpremultiply then drop alpha, or CMYK to RGB. */
export function toRgb(img: DecodedImage): RawImage {
  if (img.mode === 'rgb') return img;
  const n = img.width * img.height;
  const out = new Uint8Array(n * 3);
  const src = img.data;
  for (let p = 0; p < n; p++) {
    const i = p * 4;
    if (img.mode === 'cmyk') {
      const nk = 255 - (src[i + 3] as number);
      for (let c = 0; c < 3; c++) out[p * 3 + c] = Math.max(0, nk - mulDiv255(src[i + c] as number, nk));
    } else {
      const a = src[i + 3] as number;
      for (let c = 0; c < 3; c++) {
        const v = src[i + c] as number;
        out[p * 3 + c] = a === 255 || a === 0 ? v : Math.min(255, Math.trunc((255 * v) / a));
      }
    }
  }
  return { data: out, width: img.width, height: img.height, channels: 3 };
}
