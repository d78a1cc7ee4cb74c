import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import type { GraphBuilder, Initializer, ValueSpec } from './graph.js';
import type { SpanCopy } from './types.js';
import { GraphProto, ModelProto, TensorProto, irVersionFor } from './proto.js';

// Field tags (field number << 3 | wire type 2) of the length-delimited fields streamed by hand.
const TAG_MODEL_GRAPH = 0x3a; // ModelProto.graph = 7
const TAG_GRAPH_INITIALIZER = 0x2a; // GraphProto.initializer = 5
const TAG_TENSOR_RAW_DATA = 0x4a; // TensorProto.raw_data = 9

/** Alignment of tensors in the external data file, so onnxruntime can memory-map them. */
const EXTERNAL_ALIGN = 4096;
/** Tensors smaller than this stay inline even in external-data mode (as onnx's own converter does). */
const EXTERNAL_MIN_BYTES = 1024;

export interface WriteOptions {
  /** Where ModelProto goes (a temp name; the caller renames). */
  modelPath: string;
  /** Set when weights go to an external file: its temp path and the final basename recorded in the model. */
  external: { tempPath: string; location: string } | null;
  producerVersion: string;
  onBytes?: (n: number) => void;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  out.push(n);
  return out;
}

function valueInfo(v: ValueSpec): Record<string, unknown> {
  return {
    name: v.name,
    type: {
      tensor_type: {
        elem_type: v.dataType,
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}

/** Writes in flight at once: the kernel copies one while the next tensor chunk is read or converted. */
const WRITES_IN_FLIGHT = 4;
/** Span copies go through this many reused buffers of PIECE bytes, each read then written on its own. */
const POOL_BUFFERS = 8;
const PIECE = 1 << 20;

/**
 * Buffers small writes; large tensor payloads go straight to the file. Writes are positional and up to
 * WRITES_IN_FLIGHT run at once (a written buffer is never touched again, so nothing is copied); the
 * first failure is thrown by the next write or by drain().
 */
class Sink {
  private parts: Uint8Array[] = [];
  private pending = 0;
  /** Every write and span copy still running; each records its failure instead of rejecting. */
  private running = new Set<Promise<void>>();
  private free: Uint8Array[] | null = null;
  private waiting: Array<() => void> = [];
  private failure: unknown = null;
  written = 0;
  private position = 0;
  constructor(private readonly fh: FileHandle) {}
  async write(b: Uint8Array): Promise<void> {
    this.written += b.byteLength;
    if (b.byteLength >= 1 << 20) {
      await this.flush();
      await this.issue(b);
      return;
    }
    this.parts.push(b);
    this.pending += b.byteLength;
    if (this.pending >= 4 << 20) await this.flush();
  }
  async flush(): Promise<void> {
    if (!this.pending) return;
    const b = Buffer.concat(this.parts);
    this.parts = [];
    this.pending = 0;
    await this.issue(b);
  }
  /**
   * Copies `length` bytes from `src` to the current position in PIECE-sized reads and writes through
   * reused buffers, up to POOL_BUFFERS of them at once: no allocation per chunk, so no garbage collection
   * driven by hundreds of megabytes of short-lived buffers.
   */
  async copy(src: SpanCopy, length: number, onBytes?: (n: number) => void): Promise<void> {
    await this.flush();
    const base = this.position;
    this.position += length;
    this.written += length;
    this.free ??= Array.from({ length: POOL_BUFFERS }, () => new Uint8Array(PIECE));
    for (let off = 0; off < length; off += PIECE) {
      const buf = await this.take();
      const view = buf.subarray(0, Math.min(PIECE, length - off));
      this.track(
        src
          .readInto(off, view)
          .then(() => this.writeAll(view, base + off))
          .then(() => onBytes?.(view.byteLength))
          .finally(() => this.give(buf)),
      );
    }
  }
  private async take(): Promise<Uint8Array> {
    for (;;) {
      if (this.failure) throw this.failure;
      const b = this.free?.pop();
      if (b) return b;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }
  private give(b: Uint8Array): void {
    this.free?.push(b);
    this.waiting.shift()?.();
  }
  /** Flushes and waits for every write. */
  async drain(): Promise<void> {
    await this.flush();
    await Promise.all(this.running);
    if (this.failure) throw this.failure;
  }
  private track(p: Promise<void>): void {
    const t: Promise<void> = p
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => this.running.delete(t));
    this.running.add(t);
  }
  private async issue(b: Uint8Array): Promise<void> {
    if (this.failure) throw this.failure;
    const at = this.position;
    this.position += b.byteLength;
    this.track(this.writeAll(b, at));
    while (this.running.size >= WRITES_IN_FLIGHT) await Promise.race(this.running);
    if (this.failure) throw this.failure;
  }
  private async writeAll(b: Uint8Array, at: number): Promise<void> {
    for (let done = 0; done < b.byteLength;) {
      const { bytesWritten } = await this.fh.write(b, done, b.byteLength - done, at + done);
      done += bytesWritten;
    }
  }
}

type Produced = Uint8Array | AsyncIterable<Uint8Array> | SpanCopy;

async function streamData(
  init: Initializer,
  produced: Produced,
  sink: Sink,
  onBytes?: (n: number) => void,
): Promise<void> {
  if (isSpanCopy(produced)) return sink.copy(produced, init.byteLength, onBytes);
  let n = 0;
  const chunks: AsyncIterable<Uint8Array> | Uint8Array[] = produced instanceof Uint8Array ? [produced] : produced;
  for await (const c of chunks) {
    n += c.byteLength;
    if (n > init.byteLength) break;
    await sink.write(c);
    onBytes?.(c.byteLength);
  }
  if (n !== init.byteLength) {
    throw new Error(`internal: tensor ${init.name} produced ${n} bytes, expected ${init.byteLength}`);
  }
}

function isSpanCopy(d: Produced): d is SpanCopy {
  return !(d instanceof Uint8Array) && 'readInto' in d;
}

/**
 * Writes a ModelProto without ever holding the weights: the protobuf framing around each initializer's
 * raw_data is computed from its known size, and the bytes are streamed in after it (or into the
 * external data file, recorded with location/offset/length entries).
 */
export async function writeModel(graph: GraphBuilder, opts: WriteOptions): Promise<void> {
  const externalSet = new Set<Initializer>();
  const offsets = new Map<Initializer, number>();
  if (opts.external) {
    let off = 0;
    for (const init of graph.initializers) {
      if (init.byteLength < EXTERNAL_MIN_BYTES) continue;
      off = Math.ceil(off / EXTERNAL_ALIGN) * EXTERNAL_ALIGN;
      offsets.set(init, off);
      externalSet.add(init);
      off += init.byteLength;
    }
  }

  const headers = graph.initializers.map((init) => {
    const base: Record<string, unknown> = { dims: init.dims, data_type: init.dataType, name: init.name };
    if (externalSet.has(init) && opts.external) {
      base.data_location = 1; // EXTERNAL
      base.external_data = [
        { key: 'location', value: opts.external.location },
        { key: 'offset', value: String(offsets.get(init)) },
        { key: 'length', value: String(init.byteLength) },
      ];
      return { init, header: TensorProto.encode(base).finish(), inline: 0, ext: true };
    }
    return { init, header: TensorProto.encode(base).finish(), inline: init.byteLength, ext: false };
  });

  const graphHead = GraphProto.encode({
    node: graph.nodes,
    name: 'main',
    input: graph.inputs.map(valueInfo),
    output: graph.outputs.map(valueInfo),
  }).finish();
  const opsetImport = [
    { domain: '', version: graph.opset },
    ...[...graph.domains].map(([domain, version]) => ({ domain, version })),
  ];
  const modelHead = ModelProto.encode({
    ir_version: irVersionFor(graph.opset),
    opset_import: opsetImport,
    producer_name: 'cliphub',
    producer_version: opts.producerVersion,
  }).finish();

  const frames = headers.map((h) => {
    const rawPrefix = !h.ext ? Uint8Array.of(TAG_TENSOR_RAW_DATA, ...varint(h.inline)) : new Uint8Array(0);
    const msgLen = h.header.byteLength + rawPrefix.byteLength + h.inline;
    const prefix = Uint8Array.of(TAG_GRAPH_INITIALIZER, ...varint(msgLen));
    return { ...h, rawPrefix, prefix, total: prefix.byteLength + msgLen };
  });
  const graphLen = graphHead.byteLength + frames.reduce((a, f) => a + f.total, 0);

  const fh = await open(opts.modelPath, 'w');
  const dh = opts.external ? await open(opts.external.tempPath, 'w') : null;
  try {
    const sink = new Sink(fh);
    await sink.write(modelHead);
    await sink.write(Uint8Array.of(TAG_MODEL_GRAPH, ...varint(graphLen)));
    await sink.write(graphHead);
    const dataSink = dh ? new Sink(dh) : null;
    // One initializer ahead: the next tensor is read or computed (a transpose, a cast) while this one's
    // bytes are being written, so at most two tensors are in memory.
    const produce = (i: number): Promise<Produced> | null => {
      const f = frames[i];
      if (!f) return null;
      const p = Promise.resolve(f.init.data());
      p.catch(() => undefined); // its failure is thrown when it is awaited, below
      return p;
    };
    let ahead = produce(0);
    for (const [i, f] of frames.entries()) {
      const produced = (await ahead) as Produced;
      ahead = produce(i + 1);
      await sink.write(f.prefix);
      await sink.write(f.header);
      if (!f.ext || !dataSink) {
        await sink.write(f.rawPrefix);
        await streamData(f.init, produced, sink, opts.onBytes);
      } else {
        const off = offsets.get(f.init) as number;
        if (off > dataSink.written) await dataSink.write(new Uint8Array(off - dataSink.written));
        await streamData(f.init, produced, dataSink, opts.onBytes);
      }
    }
    await sink.drain();
    await dataSink?.drain();
  } finally {
    await fh.close();
    await dh?.close();
  }
}

export function externalDataName(modelFile: string): string {
  return `${path.basename(modelFile)}_data`;
}
