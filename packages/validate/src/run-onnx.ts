import ort from 'onnxruntime-node';
import { ValidateError } from './errors.js';

export interface OnnxRunInput {
  name: 'pixel_values' | 'input_ids';
  data: Float32Array | BigInt64Array;
  shape: number[];
}

/** What the input's declared shape must match; a fixed dimension that differs is bad input, not a failure. */
function checkDeclaredShape(file: string, session: ort.InferenceSession, input: OnnxRunInput): void {
  const meta = session.inputMetadata.find((m) => m.name === input.name);
  if (!meta) {
    throw new ValidateError(
      'BAD_ARTIFACT',
      `${file} has no input '${input.name}' (it has ${session.inputNames.join(', ')}); export it with cliphub's ONNX exporter`,
    );
  }
  if (!meta.isTensor || !meta.shape.length) return;
  const declared = meta.shape;
  const what = input.name === 'input_ids' ? 'context length' : 'image shape';
  if (declared.length !== input.shape.length) {
    throw new ValidateError(
      'BAD_ARTIFACT',
      `${file} input '${input.name}' has rank ${declared.length}, the reference's has ${input.shape.length}`,
    );
  }
  for (let i = 1; i < declared.length; i++) {
    const d = declared[i];
    if (typeof d === 'number' && d > 0 && d !== input.shape[i]) {
      const code = input.name === 'input_ids' ? 'CONTEXT_MISMATCH' : 'DIM_MISMATCH';
      throw new ValidateError(
        code,
        `${file} expects ${input.name} of shape [${declared.join(', ')}] but the reference's ${what} is [${input.shape.slice(1).join(', ')}]; the artifact and the reference are different models`,
      );
    }
  }
}

/** Runs one tower's ONNX file on the CPU execution provider and returns its first output as [n, dim]. */
export async function runOnnxTower(
  file: string,
  input: OnnxRunInput,
  outputName: string,
): Promise<{ data: Float32Array; shape: number[] }> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], graphOptimizationLevel: 'all' });
  } catch (err) {
    throw new ValidateError(
      'BAD_ARTIFACT',
      `onnxruntime cannot load ${file}: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  try {
    checkDeclaredShape(file, session, input);
    const tensor = new ort.Tensor(input.name === 'input_ids' ? 'int64' : 'float32', input.data, input.shape);
    let out: ort.InferenceSession.OnnxValueMapType;
    try {
      out = await session.run({ [input.name]: tensor });
    } catch (err) {
      throw new ValidateError(
        'RUNTIME_FAILED',
        `onnxruntime failed running ${file}: ${(err as Error).message.split('\n')[0]}`,
        { cause: err },
      );
    }
    const name = session.outputNames.includes(outputName) ? outputName : session.outputNames[0];
    const value = name === undefined ? undefined : out[name];
    if (!value || value.type !== 'float32') {
      throw new ValidateError(
        'BAD_ARTIFACT',
        `${file} gives no float32 output '${outputName}' (outputs: ${session.outputNames.join(', ')})`,
      );
    }
    return { data: Float32Array.from(value.data as Float32Array), shape: [...value.dims] };
  } finally {
    await session.release();
  }
}
