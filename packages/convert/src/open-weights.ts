import { open } from 'node:fs/promises';
import { openSafetensors, DTYPE_BYTES, type DType, type TensorSource } from '@cliphub/safetensors';
import { openCheckpoint } from '@cliphub/torch-reader';
import { ConvertError } from './errors.js';

export type WeightsFormat = 'safetensors' | 'zip' | 'legacy' | 'torchscript';

/** One tensor of a source checkpoint, streamable in file order. */
export interface WeightTensor {
  name: string;
  dtype: DType;
  shape: number[];
  byteLength: number;
  chunks(): AsyncIterable<Uint8Array>;
  /** Where the exact bytes lie in the file (contiguous, little-endian), for file-to-file copies. */
  fileSpan: { path: string; offset: number } | null;
  /** Reads bytes [offset, offset + target.length) into a caller's buffer; null where fileSpan is. */
  readInto: ((offset: number, target: Uint8Array) => Promise<void>) | null;
}

/** A tensor as the safetensors writer takes it: streamed, or copied file to file where its bytes lie contiguous. */
export function toTensorSource(tensor: WeightTensor): TensorSource {
  return {
    name: tensor.name,
    dtype: tensor.dtype,
    shape: tensor.shape,
    chunks: () => tensor.chunks(),
    copyFrom: tensor.fileSpan,
  };
}

export interface OpenedWeights {
  path: string;
  format: WeightsFormat;
  tensors: WeightTensor[];
  /** Top-level entries of a training checkpoint that are not weights (optimizer, epoch, ...). */
  dropped: string[];
  strippedPrefix: string | null;
  /** TorchScript module attributes (e.g. num_heads); {} for other formats. */
  attributes: Record<string, number | string | boolean | number[]>;
  /** TorchScript buffers open_clip rebuilds itself (e.g. attn_mask), left out of `tensors`. */
  extraBuffers: string[];
  metadata: Record<string, string> | null;
  close(): Promise<void>;
}

/** Opens any supported checkpoint by its content (not its extension). */
export async function openWeights(file: string): Promise<OpenedWeights> {
  const head = await readHead(file, 16);
  // torch zip archives start with a local file header; legacy torch files with a pickle PROTO opcode.
  if ((head[0] === 0x50 && head[1] === 0x4b) || head[0] === 0x80) {
    const ckpt = await openCheckpoint(file);
    return {
      path: file,
      format: ckpt.format,
      tensors: ckpt.tensors.map((t) => ({
        name: t.name,
        dtype: t.dtype,
        shape: t.shape,
        byteLength: t.byteLength,
        chunks: () => t.chunks(),
        fileSpan: t.fileSpan ? { path: file, offset: t.fileSpan.offset } : null,
        readInto: t.readInto,
      })),
      dropped: ckpt.dropped,
      strippedPrefix: ckpt.strippedPrefix,
      attributes: ckpt.attributes,
      extraBuffers: ckpt.extraBuffers,
      metadata: null,
      close: () => ckpt.close(),
    };
  }
  if (head.length >= 9 && head[8] === 0x7b /* '{' */) {
    const st = await openSafetensors(file);
    const tensors: WeightTensor[] = [...st.header.tensors.entries()]
      .sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0])
      .map(([name, info]) => ({
        name,
        dtype: info.dtype,
        shape: info.shape,
        byteLength: info.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[info.dtype],
        chunks: () => st.tensorChunks(name),
        fileSpan: { path: file, offset: st.header.dataStart + info.dataOffsets[0] },
        readInto: (offset: number, target: Uint8Array) => st.readInto(name, offset, target),
      }));
    return {
      path: file,
      format: 'safetensors',
      tensors,
      dropped: [],
      strippedPrefix: null,
      attributes: {},
      extraBuffers: [],
      metadata: st.header.metadata,
      close: () => st.close(),
    };
  }
  throw new ConvertError(
    'UNKNOWN_FORMAT',
    `'${file}' is not a PyTorch checkpoint (zip or legacy pickle), a TorchScript archive or a safetensors file`,
  );
}

async function readHead(file: string, n: number): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}
