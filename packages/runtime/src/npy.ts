import { RuntimeError } from './errors.js';

/** A NumPy .npy (format 1.0) file holding one little-endian float32 C-order array of the given shape. */
export function npyBytes(data: Float32Array, shape: readonly number[]): Uint8Array {
  const numel = shape.reduce((a, d) => a * d, 1);
  if (!shape.every((d) => Number.isInteger(d) && d >= 0) || numel !== data.length) {
    throw new RuntimeError('BAD_TENSOR', `npy shape ${JSON.stringify(shape)} does not hold ${data.length} floats`);
  }
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(', ');
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${dims}), }`;
  // magic(6) + version(2) + length(2) + header + '\n' is padded with spaces to a multiple of 64, as numpy writes it.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0, header.length & 0xff, header.length >> 8], 0);
  out.set(Buffer.from(header, 'latin1'), 10);
  const view = new DataView(out.buffer, total);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i]!, true);
  return out;
}
