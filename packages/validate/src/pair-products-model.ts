/**
 * The ONNX model that computes a block of image-text dot products for the reference and the candidate
 * at once: two Gemm nodes with transB=1, so the [n, dim] text matrices are used as stored (no transposed
 * copy). Written by hand: the model is tiny, and only the protobuf fields below are needed.
 */

const encoder = new TextEncoder();

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
  return out;
}

/** One protobuf field: a varint (number) or a length-delimited payload (string, nested message bytes). */
function field(fieldNumber: number, value: number | string | number[]): number[] {
  if (typeof value === 'number') return [...varint(fieldNumber * 8), ...varint(value)];
  const payload = typeof value === 'string' ? [...encoder.encode(value)] : value;
  return [...varint(fieldNumber * 8 + 2), ...varint(payload.length), ...payload];
}

// ValueInfoProto{name, type: TypeProto{tensor_type{elem_type FLOAT, shape{dim{dim_param}}}}}.
function floatInput(name: string, dims: string[]): number[] {
  const shape = dims.flatMap((d) => field(1, field(2, d)));
  return [...field(1, name), ...field(2, field(1, [...field(1, 1), ...field(2, shape)]))];
}

// NodeProto Gemm(a, b) with transB = 1 (AttributeProto{name, i, type INT}).
function gemmNode(a: string, b: string, out: string): number[] {
  const transB = [...field(1, 'transB'), ...field(3, 1), ...field(20, 2)];
  return [...field(1, a), ...field(1, b), ...field(2, out), ...field(3, out), ...field(4, 'Gemm'), ...field(5, transB)];
}

export const PAIR_INPUTS = ['reference_image', 'reference_text', 'candidate_image', 'candidate_text'] as const;
export const PAIR_OUTPUTS = ['reference_products', 'candidate_products'] as const;

/** ModelProto bytes: inputs [rows, dim] images and [n, dim] texts, outputs their [rows, n] products. */
export function pairProductsModel(): Uint8Array {
  const [refImage, refText, candImage, candText] = PAIR_INPUTS;
  const [refOut, candOut] = PAIR_OUTPUTS;
  const graph = [
    ...field(1, gemmNode(refImage, refText, refOut)),
    ...field(1, gemmNode(candImage, candText, candOut)),
    ...field(2, 'pair_products'),
    ...field(11, floatInput(refImage, ['rows', 'dim'])),
    ...field(11, floatInput(refText, ['n', 'dim'])),
    ...field(11, floatInput(candImage, ['rows', 'dim'])),
    ...field(11, floatInput(candText, ['n', 'dim'])),
    ...field(12, floatInput(refOut, ['rows', 'n'])),
    ...field(12, floatInput(candOut, ['rows', 'n'])),
  ];
  // ir_version 8 with opset 17 (Gemm-13), both supported by every onnxruntime this repo pins.
  return new Uint8Array([...field(1, 8), ...field(8, [...field(1, ''), ...field(2, 17)]), ...field(7, graph)]);
}
