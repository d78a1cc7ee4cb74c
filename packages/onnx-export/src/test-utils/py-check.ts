import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pythonJson } from '#test-support';

/** What the oracle's Python says about an exported graph. */
export interface PyVerdict {
  model: string;
  checker: string;
  minCos: number;
  maxRel: number;
  maxDiffVsNode: number;
  inits: Record<string, number>;
}

export interface PyJob {
  model: string;
  tower: 'vision' | 'text';
  refFile: string;
  nodeOut: string;
  /** Run onnx.checker (false for graphs with onnxruntime's com.microsoft ops, which it does not know). */
  checker: boolean;
}

// One interpreter for many graphs: importing onnx and onnxruntime dominates the cost of a check.
const CODE = `
import json, sys
import numpy as np, onnx, onnxruntime as ort
from safetensors.numpy import load_file
out = []
for job in json.load(open(sys.argv[1])):
    model = job['model']
    input_name, ref_key = ('pixel_values', 'cpu_fp32.image_embeds') if job['tower'] == 'vision' else ('input_ids', 'cpu_fp32.text_embeds')
    checker = 'skipped'
    if job['checker']:
        try:
            onnx.checker.check_model(model, full_check=True)
            checker = 'ok'
        except Exception as e:
            checker = str(e).splitlines()[0]
    ref = load_file(job['refFile'])
    so = ort.SessionOptions(); so.intra_op_num_threads = 1
    sess = ort.InferenceSession(model, so, providers=['CPUExecutionProvider'])
    got = sess.run(None, {input_name: ref['inputs.' + input_name]})[0]
    want = ref[ref_key]
    cos = (got * want).sum(-1) / np.linalg.norm(got, axis=-1) / np.linalg.norm(want, axis=-1)
    node = np.fromfile(job['nodeOut'], dtype=np.float32).reshape(got.shape)
    m = onnx.load(model, load_external_data=False)
    inits = {}
    for t in m.graph.initializer:
        k = onnx.TensorProto.DataType.Name(t.data_type)
        inits[k] = inits.get(k, 0) + 1
    out.append({'model': model, 'checker': checker, 'minCos': float(cos.min()),
                'maxRel': float(np.abs(got - want).max() / np.abs(want).max()),
                'maxDiffVsNode': float(np.abs(got - node).max()), 'inits': inits})
print(json.dumps(out))
`;

/** Saves node's output beside the model and returns the job for pyCheck. */
export function pyJob(
  model: string,
  tower: 'vision' | 'text',
  refFile: string,
  nodeOut: Float32Array,
  checker = true,
): PyJob {
  const bin = `${model}.node-output.bin`;
  writeFileSync(bin, new Uint8Array(nodeOut.buffer, nodeOut.byteOffset, nodeOut.byteLength));
  return { model, tower, refFile, nodeOut: bin, checker };
}

/** Runs onnx.checker (full_check, where the job asks) and Python onnxruntime on each model, comparing with the reference and node. */
export function pyCheck(jobs: PyJob[], scratch: string): PyVerdict[] {
  const list = path.join(scratch, `py-jobs-${jobs.length}-${Date.now()}.json`);
  writeFileSync(list, JSON.stringify(jobs));
  return pythonJson<PyVerdict[]>(CODE, [list]);
}
