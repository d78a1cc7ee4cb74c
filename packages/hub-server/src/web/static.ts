import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pipeline } from 'node:stream/promises';
import { HubError } from '../errors.js';
import type { RouteContext } from '../router.js';

/** The UI's own files (CSS and scripts), beside src/ and dist/ in the package. */
const ASSETS_DIR = fileURLToPath(new URL('../../web-assets/', import.meta.url));

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

let vendorDirs: { transformers: string; ort: string } | null | undefined;

/**
 * Where transformers.js's web build and onnxruntime-web's WASM files are installed (dependencies of this
 * package), so the try-it panel loads them from this server and never from a CDN; null when absent.
 */
export function vendorDirectories(): { transformers: string; ort: string } | null {
  if (vendorDirs !== undefined) return vendorDirs;
  try {
    const require = createRequire(import.meta.url);
    const transformersEntry = require.resolve('@huggingface/transformers');
    const ortEntry = createRequire(transformersEntry).resolve('onnxruntime-web');
    vendorDirs = { transformers: path.dirname(transformersEntry), ort: path.dirname(ortEntry) };
  } catch {
    vendorDirs = null;
  }
  return vendorDirs;
}

/** `/_static/NAME` → a file: the UI's assets, transformers.js's bundle, ORT's WASM glue and binaries. Nothing else. */
export function staticFile(name: string): string | null {
  if (/^[a-z][a-z0-9-]*\.(css|js)$/.test(name)) return path.join(ASSETS_DIR, name);
  const vendor = vendorDirectories();
  if (!vendor) return null;
  if (name === 'vendor/transformers.min.js') return path.join(vendor.transformers, 'transformers.min.js');
  const ort = /^ort\/(ort-wasm-simd-threaded(?:\.[a-z]+)?\.(?:mjs|wasm))$/.exec(name);
  if (ort) return path.join(vendor.ort, ort[1] as string);
  return null;
}

/** GET /_static/*path: streamed with its type, cached for an hour (names change with the package). */
export async function serveStatic(c: RouteContext): Promise<void> {
  const name = c.params.path ?? '';
  const file = staticFile(name);
  const size = file
    ? await stat(file).then(
        (s) => (s.isFile() ? s.size : -1),
        () => -1,
      )
    : -1;
  if (!file || size < 0) throw new HubError(404, 'NotFound', `No static file '${name}'`);
  c.res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
    'Content-Length': String(size),
    'Cache-Control': 'public, max-age=3600',
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  if (c.req.method === 'HEAD') return void c.res.end();
  await pipeline(createReadStream(file), c.res);
}
