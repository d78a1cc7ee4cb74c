import type { GraphBuilder } from './graph.js';
import { DataType, type DataTypeId } from './proto.js';
import { asBytes, float32ToFloat16, toFloat32 } from './tensor-math.js';
import type { WeightSource } from './types.js';

/**
 * Turns state_dict tensors into graph initializers. Nothing is read here: each initializer carries a
 * producer the writer calls in order, so at most one tensor (plus a one-entry cache for tensors that
 * feed several initializers, like in_proj_weight) is held at a time.
 */
export class WeightLoader {
  // A few recent tensors: q, k and v slices of in_proj_weight alternate with their bias reads.
  private cache: Array<{ name: string; data: Float32Array }> = [];

  constructor(
    readonly source: WeightSource,
    readonly prefix: string,
  ) {}

  shape(name: string): number[] {
    const info = this.source.info(this.prefix + name);
    if (!info) throw new Error(`internal: weight ${this.prefix + name} vanished after validation`);
    return info.shape;
  }

  has(name: string): boolean {
    return this.source.info(this.prefix + name) !== undefined;
  }

  /** The tensor as float32 (any float source dtype). */
  async f32(name: string): Promise<Float32Array> {
    const full = this.prefix + name;
    const hit = this.cache.find((e) => e.name === full);
    if (hit) return hit.data;
    const info = this.source.info(full);
    if (!info) throw new Error(`internal: weight ${full} vanished after validation`);
    const data = toFloat32(await this.source.read(full), info.dtype);
    this.cache.unshift({ name: full, data });
    if (this.cache.length > 3) this.cache.pop();
    return data;
  }

  /** An initializer whose float values come from `compute`, stored as `dataType` (float32 or float16). */
  computed(g: GraphBuilder, hint: string, dims: number[], dataType: DataTypeId, compute: () => Promise<Float32Array>): string {
    return g.initializer(hint, dims, dataType, async () => {
      const v = await compute();
      return dataType === DataType.FLOAT16 ? asBytes(float32ToFloat16(v)) : asBytes(v);
    });
  }

  /** A tensor copied as is (streamed in chunks when already in the target dtype). */
  direct(g: GraphBuilder, name: string, dataType: DataTypeId, dims?: number[]): string {
    const full = this.prefix + name;
    const info = this.source.info(full);
    if (!info) throw new Error(`internal: weight ${full} vanished after validation`);
    const shape = dims ?? info.shape;
    const same = (info.dtype === 'F32' && dataType === DataType.FLOAT) || (info.dtype === 'F16' && dataType === DataType.FLOAT16);
    const chunks = this.source.chunks;
    if (same && chunks) return g.initializer(hintOf(name), shape, dataType, () => chunks.call(this.source, full));
    if (same) return g.initializer(hintOf(name), shape, dataType, () => this.source.read(full));
    return this.computed(g, hintOf(name), shape, dataType, () => this.f32(name));
  }
}

export function hintOf(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_');
}
