import { float32ToFloat16 } from './tensor-math.js';
import { AttrType, DataType, type DataTypeId, dataTypeSize } from './proto.js';
import type { SpanCopy } from './types.js';

export type AttrValue = number | string | number[] | { floats: number[] } | { int: number } | { float: number };

/**
 * Bytes of one initializer, produced when the writer reaches it (so at most one large tensor is in memory),
 * or a span of the source the writer copies through its own reused buffers.
 */
export type TensorData = () => Promise<Uint8Array> | AsyncIterable<Uint8Array> | SpanCopy;

export interface Initializer {
  name: string;
  dims: number[];
  dataType: DataTypeId;
  byteLength: number;
  data: TensorData;
}

export interface NodeSpec {
  op_type: string;
  domain?: string;
  name: string;
  input: string[];
  output: string[];
  attribute: Array<Record<string, unknown>>;
}

export interface ValueSpec {
  name: string;
  dataType: DataTypeId;
  shape: (number | string)[];
}

function attribute(name: string, v: AttrValue): Record<string, unknown> {
  if (typeof v === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(v) };
  if (typeof v === 'number') return { name, type: AttrType.INT, i: v };
  if (Array.isArray(v)) return { name, type: AttrType.INTS, ints: v };
  if ('floats' in v) return { name, type: AttrType.FLOATS, floats: v.floats };
  if ('int' in v) return { name, type: AttrType.INT, i: v.int };
  return { name, type: AttrType.FLOAT, f: v.float };
}

/** An ONNX graph under construction: nodes in topological order, initializers produced lazily. */
export class GraphBuilder {
  readonly nodes: NodeSpec[] = [];
  readonly initializers: Initializer[] = [];
  readonly inputs: ValueSpec[] = [];
  readonly outputs: ValueSpec[] = [];
  readonly domains = new Map<string, number>();
  private readonly used = new Set<string>();
  private readonly constCache = new Map<string, string>();

  constructor(readonly opset: number) {}

  /** A fresh value name based on `hint`. */
  fresh(hint: string): string {
    let name = hint;
    for (let i = 1; this.used.has(name); i++) name = `${hint}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, dataType: DataTypeId, shape: (number | string)[]): string {
    this.used.add(name);
    this.inputs.push({ name, dataType, shape });
    return name;
  }

  output(value: string, name: string, dataType: DataTypeId, shape: (number | string)[]): void {
    // Graph outputs need stable names; an Identity would be a wasted node, so rename the producer instead.
    const producer = this.nodes.find((n) => n.output.includes(value));
    if (!producer) throw new Error(`internal: no node produces ${value}`);
    producer.output = producer.output.map((o) => (o === value ? name : o));
    for (const n of this.nodes) n.input = n.input.map((i) => (i === value ? name : i));
    this.used.add(name);
    this.outputs.push({ name, dataType, shape });
  }

  /** Adds a node; returns its output names. */
  nodeN(op: string, inputs: string[], nOut: number, attrs: Record<string, AttrValue> = {}, domain = ''): string[] {
    const base = op.toLowerCase();
    const outs = Array.from({ length: nOut }, () => this.fresh(base));
    if (domain) this.domains.set(domain, 1);
    this.nodes.push({
      op_type: op,
      ...(domain ? { domain } : {}),
      name: `${op}_${this.nodes.length}`,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  node(op: string, inputs: string[], attrs: Record<string, AttrValue> = {}, domain = ''): string {
    return this.nodeN(op, inputs, 1, attrs, domain)[0] as string;
  }

  initializer(name: string, dims: number[], dataType: DataTypeId, data: TensorData): string {
    const n = this.fresh(name);
    const count = dims.reduce((a, b) => a * b, 1);
    this.initializers.push({ name: n, dims, dataType, byteLength: count * (dataTypeSize[dataType] ?? 0), data });
    return n;
  }

  /** A small constant initializer (int64 or float32 or float16), deduplicated by value. */
  constant(values: number[] | Float32Array, dims: number[], dataType: DataTypeId = DataType.INT64): string {
    const key = `${dataType}:${dims.join(',')}:${Array.from(values).join(',')}`;
    const hit = this.constCache.get(key);
    if (hit) return hit;
    const bytes = encodeValues(Array.from(values), dataType);
    const name = this.initializer('const', dims, dataType, async () => bytes);
    this.constCache.set(key, name);
    return name;
  }

  /** Node counts by op type (domain-qualified for non-default domains). */
  nodeCounts(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const n of this.nodes) {
      const k = n.domain ? `${n.domain}.${n.op_type}` : n.op_type;
      counts[k] = (counts[k] ?? 0) + 1;
    }
    return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
  }
}

function encodeValues(values: number[], dataType: DataTypeId): Uint8Array {
  switch (dataType) {
    case DataType.INT64:
      return new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    case DataType.INT32:
      return new Uint8Array(Int32Array.from(values).buffer);
    case DataType.FLOAT:
      return new Uint8Array(Float32Array.from(values).buffer);
    case DataType.FLOAT16:
      return new Uint8Array(float32ToFloat16(Float32Array.from(values)).buffer);
    default:
      throw new Error(`internal: no constant encoding for data type ${dataType}`);
  }
}
