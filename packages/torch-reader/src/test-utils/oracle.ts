import { openCheckpoint } from '../open-checkpoint.js';
import { createHash } from 'node:crypto';
import { pythonJson } from '#test-support';
import type { TorchTensor } from '../torch-tensor.js';

export interface TensorDigest {
  name: string;
  dtype: string;
  shape: number[];
  sha256: string;
}

export type OracleMode = 'load' | 'load-unsafe' | 'jit';

const SCRIPT = String.raw`
import hashlib, json, sys, torch
D = {torch.float64: 'F64', torch.float32: 'F32', torch.float16: 'F16', torch.bfloat16: 'BF16', torch.int64: 'I64',
     torch.int32: 'I32', torch.int16: 'I16', torch.int8: 'I8', torch.uint8: 'U8', torch.bool: 'BOOL'}
out = {}
for spec in sys.argv[1:]:
    mode, path = spec.split(':', 1)
    dropped, prefix = [], None
    if mode == 'jit':
        sd = torch.jit.load(path).state_dict()
    else:
        sd = torch.load(path, weights_only=(mode == 'load'))
        if isinstance(sd.get('state_dict'), dict):
            dropped = [k for k in sd if k != 'state_dict']
            sd = sd['state_dict']
        if sd and all(k.startswith('module.') for k in sd):
            sd, prefix = {k[len('module.'):]: v for k, v in sd.items()}, 'module.'
    rows = []
    for k, t in sd.items():
        if not isinstance(t, torch.Tensor):
            continue
        b = t.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()
        rows.append(dict(name=k, dtype=D[t.dtype], shape=list(t.shape), sha256=hashlib.sha256(b).hexdigest()))
    out[spec] = dict(tensors=rows, dropped=dropped, prefix=prefix)
print(json.dumps(out))
`;

export interface OracleView {
  tensors: TensorDigest[];
  dropped: string[];
  prefix: string | null;
}

/** What real torch sees in each file: one Python process for all of them. */
export function oracleDigests(specs: Array<{ mode: OracleMode; path: string }>): Map<string, OracleView> {
  const keys = specs.map((s) => `${s.mode}:${s.path}`);
  const out = pythonJson<Record<string, OracleView>>(SCRIPT, keys);
  return new Map(specs.map((s, i) => [s.path + '|' + s.mode, out[keys[i] as string] as OracleView]));
}

/** Streams a tensor's chunks through sha256. */
export async function digestTensor(t: TorchTensor): Promise<TensorDigest> {
  const h = createHash('sha256');
  let n = 0;
  for await (const c of t.chunks()) {
    h.update(c);
    n += c.length;
  }
  if (n !== t.byteLength) throw new Error(`${t.name}: streamed ${n} bytes, expected ${t.byteLength}`);
  return { name: t.name, dtype: t.dtype, shape: t.shape, sha256: h.digest('hex') };
}

/** Every tensor's digest, in file order, as cliphub reads the checkpoint. */
export async function checkpointDigests(file: string): Promise<TensorDigest[]> {
  const ck = await openCheckpoint(file);
  try {
    return await Promise.all(ck.tensors.map(digestTensor));
  } finally {
    await ck.close();
  }
}
