import type { GraphBuilder } from './graph.js';
import { DataType, type DataTypeId } from './proto.js';
import { asBytes, dtypeSize, float32ToFloat16, scaleInPlace, toFloat32 } from './tensor-math.js';
import type { SpanCopy, WeightSource } from './types.js';

/**
 * Turns state_dict tensors into graph initializers. Nothing is read here: each initializer carries a
 * producer the writer calls in order, so only the tensor being written is held, plus a small cache for
 * tensors that feed several initializers (q, k and v rows of in_proj_weight, alternating with biases).
 */
export class WeightLoader {
  private cache: Array<{ name: string; bytes: Uint8Array; f32?: Float32Array }> = [];

  constructor(readonly source: WeightSource) {}

  info(name: string): { dtype: string; shape: number[] } {
    const info = this.source.info(name);
    if (!info) throw new Error(`internal: weight ${name} vanished after validation`);
    return info;
  }

  shape(name: string): number[] {
    return this.info(name).shape;
  }

  private async entry(name: string) {
    const hit = this.cache.find((e) => e.name === name);
    if (hit) return hit;
    const e: { name: string; bytes: Uint8Array; f32?: Float32Array } = { name, bytes: await this.source.read(name) };
    this.cache.unshift(e);
    if (this.cache.length > 3) this.cache.pop();
    return e;
  }

  /** The tensor as float32 (any float source dtype). Shared: callers must not modify it. */
  async f32(name: string): Promise<Float32Array> {
    const e = await this.entry(name);
    e.f32 ??= toFloat32(e.bytes, this.source.info(name)?.dtype ?? 'F32');
    return e.f32;
  }

  /** An initializer whose float values come from `compute`, stored as `dataType` (float32 or float16). */
  computed(
    graph: GraphBuilder,
    hint: string,
    dims: number[],
    dataType: DataTypeId,
    compute: () => Promise<Float32Array>,
  ): string {
    return graph.initializer(hint, dims, dataType, async () => {
      const v = await compute();
      return dataType === DataType.FLOAT16 ? asBytes(float32ToFloat16(v)) : asBytes(v);
    });
  }

  /**
   * A float32 weight (rows [r0, r1) of it, or all) with per-output-channel multipliers folded in, when the
   * source stores it as float32 and can copy spans: the writer reads it piece by piece into its reused
   * buffers and each piece is scaled in place. No tensor-sized buffer is allocated, read whole or copied,
   * which costs more than the multiply itself (page faults, garbage collection): ConvNeXt's layer-scaled fc2
   * weights are most of its checkpoint. `channelAxis` 0: channels are rows ([out, in], torch); 1: columns
   * ([in, out]). Null where this does not apply; the caller computes the values instead.
   */
  scaledSpan(
    graph: GraphBuilder,
    hint: string,
    name: string,
    rows: [number, number] | undefined,
    channelAxis: 0 | 1,
    scales: () => Promise<Float32Array>,
  ): string | null {
    const info = this.info(name);
    const span = info.dtype === 'F32' && info.shape.length === 2 ? (this.source.span?.(name) ?? null) : null;
    if (!span) return null;
    const [n0, cols] = info.shape as [number, number];
    const [r0, r1] = rows ?? [0, n0];
    const base = r0 * cols * 4;
    let pending: Promise<Float32Array> | null = null;
    const copy: SpanCopy = {
      readInto: async (offset, target) => {
        pending ??= scales();
        const [factors] = await Promise.all([pending, span.readInto(base + offset, target)]);
        const aligned = target.byteOffset % 4 === 0 ? target : target.slice();
        scaleInPlace(
          new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4),
          offset / 4,
          cols,
          channelAxis,
          factors,
        );
        if (aligned !== target) target.set(aligned);
      },
    };
    return graph.initializer(hint, [r1 - r0, cols], DataType.FLOAT, () => copy);
  }

  /**
   * Rows [r0, r1) of a tensor (all of it by default) copied as they are: streamed in chunks, or sliced
   * from the raw bytes, when the source already has the target dtype; converted otherwise.
   */
  direct(graph: GraphBuilder, name: string, dataType: DataTypeId, rows?: [number, number], hint = name): string {
    const info = this.info(name);
    const [n0, ...rest] = info.shape;
    const rowElems = rest.reduce((a, b) => a * b, 1);
    const [r0, r1] = rows ?? [0, n0 ?? 1];
    const dims = info.shape.length ? [r1 - r0, ...rest] : [];
    const same =
      (info.dtype === 'F32' && dataType === DataType.FLOAT) || (info.dtype === 'F16' && dataType === DataType.FLOAT16);
    const chunks = this.source.chunks;
    const span = same && !rows ? (this.source.span?.(name) ?? null) : null;
    if (span) return graph.initializer(hint, dims, dataType, () => span);
    if (same && !rows && chunks) return graph.initializer(hint, dims, dataType, () => chunks.call(this.source, name));
    if (!rows && chunks && (dataType === DataType.FLOAT || dataType === DataType.FLOAT16)) {
      // converted chunk by chunk, so large tensors (token embeddings) never sit in memory whole
      return graph.initializer(hint, dims, dataType, () =>
        convertChunks(chunks.call(this.source, name), info.dtype as 'F32', dataType),
      );
    }
    if (same) {
      const size = dtypeSize(info.dtype as 'F32');
      return graph.initializer(hint, dims, dataType, async () =>
        (await this.entry(name)).bytes.subarray(r0 * rowElems * size, r1 * rowElems * size),
      );
    }
    return this.computed(graph, hint, dims, dataType, async () =>
      (await this.f32(name)).subarray(r0 * rowElems, r1 * rowElems),
    );
  }
}

/** Re-encodes a float tensor's chunks to float32 or float16, carrying partial elements across chunks. */
async function* convertChunks(
  src: AsyncIterable<Uint8Array>,
  from: 'F32' | 'F16' | 'BF16' | 'F64',
  to: DataTypeId,
): AsyncIterable<Uint8Array> {
  const size = dtypeSize(from);
  let carry = new Uint8Array(0);
  for await (const chunk of src) {
    const buf = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = buf.length - (buf.length % size);
    carry = buf.slice(whole);
    if (!whole) continue;
    const f = toFloat32(buf.subarray(0, whole), from);
    yield to === DataType.FLOAT16 ? asBytes(float32ToFloat16(f)) : asBytes(f);
  }
}
