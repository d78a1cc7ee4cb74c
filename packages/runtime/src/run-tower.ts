import { Tensor } from 'onnxruntime-node';
import { RuntimeError } from './errors.js';
import type { ClipModel } from './load-model.js';
import type { TowerName } from '@cliphub/model-manifest';

function session(model: ClipModel, tower: TowerName) {
  const s = model[tower];
  const spec = model.manifest.towers[tower];
  if (!s || !spec)
    throw new RuntimeError(
      'TOWER_MISSING',
      `the model in ${model.dir} has no loaded ${tower} tower; export it or load it with towers: ['${tower}']`,
      model.dir,
    );
  return { s, input: spec.inputs[0]!.name, output: spec.outputs[0]!.name };
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 1)
    throw new RuntimeError('BAD_TENSOR', `${what}: batch size ${n} must be a positive integer`);
}

async function run(model: ClipModel, tower: TowerName, feed: Tensor, n: number): Promise<Float32Array> {
  const { s, input, output } = session(model, tower);
  const feeds: Record<string, Tensor> = { [input]: feed };
  // transformers.js layouts (cliphub convert --to transformers.js) take an attention_mask the graph ignores
  if (s.inputNames.includes('attention_mask'))
    feeds.attention_mask = new Tensor('int64', new BigInt64Array(feed.size).fill(1n), feed.dims);
  const out = (await s.run(feeds))[output];
  const d = model.embedDim;
  if (!out || !(out.data instanceof Float32Array) || out.data.length !== n * d) {
    throw new RuntimeError(
      'BAD_TENSOR',
      `${tower}.onnx returned ${out ? `${out.type} ${JSON.stringify(out.dims)}` : 'nothing'} for ${output}, not float32 [${n}, ${d}]; re-run the export`,
    );
  }
  return out.data;
}

/** Runs the vision tower on pixel_values [n, 3, H, W] (H, W from the manifest); returns [n, D] row-major. */
export async function runVision(model: ClipModel, pixelValues: Float32Array, n: number): Promise<Float32Array> {
  checkCount(n, 'pixel_values');
  const size = model.manifest.preprocessCfg.size;
  const [h, w] = typeof size === 'number' ? [size, size] : size;
  const want = n * 3 * h * w;
  if (!(pixelValues instanceof Float32Array) || pixelValues.length !== want) {
    const got =
      pixelValues instanceof Float32Array
        ? `${pixelValues.length} floats`
        : `a ${Object.prototype.toString.call(pixelValues).slice(8, -1)}`;
    throw new RuntimeError(
      'BAD_TENSOR',
      `pixel_values has ${got}; this model takes float32 [${n}, 3, ${h}, ${w}] = ${want} for n=${n}; preprocess with the model's preprocessCfg`,
    );
  }
  return run(model, 'vision', new Tensor('float32', pixelValues, [n, 3, h, w]), n);
}

/** Runs the text tower on input_ids [n, contextLength] (int64); returns [n, D] row-major. */
export async function runText(model: ClipModel, ids: BigInt64Array, n: number): Promise<Float32Array> {
  checkCount(n, 'input_ids');
  const { contextLength: ctx, vocabSize } = model.manifest.tokenizer;
  if (!(ids instanceof BigInt64Array) || ids.length !== n * ctx) {
    const got =
      ids instanceof BigInt64Array ? `${ids.length} ids` : `a ${Object.prototype.toString.call(ids).slice(8, -1)}`;
    throw new RuntimeError(
      'BAD_TENSOR',
      `input_ids has ${got}; this model takes int64 [${n}, ${ctx}] = ${n * ctx} for n=${n}; tokenize with the model's tokenizer`,
    );
  }
  // An id past the embedding table would make onnxruntime's Gather fail obscurely (or read garbage on some EPs).
  const limit = BigInt(vocabSize);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id < 0n || id >= limit) {
      throw new RuntimeError(
        'TOKEN_OUT_OF_RANGE',
        `input_ids row ${Math.floor(i / ctx)} holds token ${id}, outside this model's vocab of ${vocabSize}; the tokenizer does not match the model`,
      );
    }
  }
  return run(model, 'text', new Tensor('int64', ids, [n, ctx]), n);
}
