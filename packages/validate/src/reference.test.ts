import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bytesSource, writeSafetensors, type TensorSource } from '@cliphub/safetensors';
import { tempDir } from '#test-support';
import { readReference } from './reference.js';

const tmp = tempDir('cliphub-ref-');
afterAll(() => tmp.cleanup());

const f32 = (name: string, shape: number[]): TensorSource =>
  bytesSource(name, 'F32', shape, new Uint8Array(new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(0.5).buffer));
const i64 = (name: string, shape: number[]): TensorSource =>
  bytesSource(name, 'I64', shape, new Uint8Array(new BigInt64Array(shape.reduce((a, b) => a * b, 1)).buffer));

function good(over: Record<string, TensorSource | null> = {}): TensorSource[] {
  const base: Record<string, TensorSource> = {
    'inputs.pixel_values': f32('inputs.pixel_values', [2, 3, 8, 8]),
    'inputs.input_ids': i64('inputs.input_ids', [2, 5]),
    'cpu_fp32.image_embeds': f32('cpu_fp32.image_embeds', [2, 4]),
    'cpu_fp32.text_embeds': f32('cpu_fp32.text_embeds', [2, 4]),
    logit_scale: f32('logit_scale', [1]),
  };
  for (const [k, v] of Object.entries(over)) {
    if (v) base[k] = v;
    else delete base[k];
  }
  return Object.values(base);
}

let n = 0;
async function write(tensors: TensorSource[], metadata: Record<string, string> = {}): Promise<string> {
  const p = path.join(tmp.dir, `r${n++}.safetensors`);
  await writeSafetensors(p, tensors, { metadata });
  return p;
}

describe('readReference', () => {
  it('reads a well-formed file into typed arrays and metadata', async () => {
    const p = await write(good({ logit_bias: f32('logit_bias', []) }), {
      model_cfg: JSON.stringify({ embed_dim: 4, text_cfg: { context_length: 5 } }),
      texts: '["a","b"]',
      model_name: 'm',
    });
    const r = await readReference(p);
    expect(r).toMatchObject({
      n: 2,
      embedDim: 4,
      imageShape: [3, 8, 8],
      contextLength: 5,
      logitScale: 0.5,
      logitBias: 0.5,
    });
    expect([...r.sets.keys()]).toEqual(['cpu_fp32']);
    expect(r.metadata).toMatchObject({ modelName: 'm', texts: ['a', 'b'], modelCfg: { embed_dim: 4 } });
  });

  const bad: Array<[string, () => Promise<string>, string, RegExp]> = [
    [
      'a missing input',
      () => write(good({ 'inputs.input_ids': null })),
      'MISSING_KEY',
      /missing tensor 'inputs.input_ids'/,
    ],
    [
      'no embeddings at all',
      () => write(good({ 'cpu_fp32.image_embeds': null, 'cpu_fp32.text_embeds': null })),
      'MISSING_KEY',
      /no '<device>_<mode>.image_embeds'/,
    ],
    [
      'half a set',
      () => write(good({ 'cpu_fp32.text_embeds': null })),
      'MISSING_KEY',
      /missing tensor 'cpu_fp32.text_embeds'/,
    ],
    ['missing logit_scale', () => write(good({ logit_scale: null })), 'MISSING_KEY', /missing tensor 'logit_scale'/],
    [
      'fp16 embeddings',
      () =>
        write(good({ 'cpu_fp32.text_embeds': bytesSource('cpu_fp32.text_embeds', 'F16', [2, 4], new Uint8Array(16)) })),
      'BAD_DTYPE',
      /'cpu_fp32.text_embeds' is F16, expected F32/,
    ],
    [
      'int32 ids',
      () => write(good({ 'inputs.input_ids': bytesSource('inputs.input_ids', 'I32', [2, 5], new Uint8Array(40)) })),
      'BAD_DTYPE',
      /is I32, expected I64/,
    ],
    [
      'embed dims that differ',
      () => write(good({ 'cpu_fp32.text_embeds': f32('cpu_fp32.text_embeds', [2, 6]) })),
      'BAD_SHAPE',
      /shape \[2, 6\] but other embeddings are 4-dimensional/,
    ],
    [
      'rows that differ from the inputs',
      () => write(good({ 'cpu_fp32.image_embeds': f32('cpu_fp32.image_embeds', [3, 4]) })),
      'BAD_SHAPE',
      /has 3 rows but the inputs have 2 samples/,
    ],
    [
      'a sample count mismatch between inputs',
      () => write(good({ 'inputs.input_ids': i64('inputs.input_ids', [3, 5]) })),
      'BAD_SHAPE',
      /2 samples but inputs.input_ids has 3/,
    ],
    [
      'pixels that are not [N,3,H,W]',
      () => write(good({ 'inputs.pixel_values': f32('inputs.pixel_values', [2, 1, 8, 8]) })),
      'BAD_SHAPE',
      /expected \[N, 3, H, W\]/,
    ],
    [
      'model_cfg that contradicts the tensors',
      () => write(good(), { model_cfg: '{"embed_dim": 8}' }),
      'BAD_SHAPE',
      /model_cfg.embed_dim is 8/,
    ],
    [
      'metadata that is not JSON',
      () => write(good(), { texts: '[oops' }),
      'BAD_METADATA',
      /__metadata__.texts is not valid JSON/,
    ],
  ];
  it.each(bad)('refuses %s with a message naming the key (exit 2)', async (_what, make, code, msg) => {
    const err = await readReference(await make()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code, exitCode: 2, message: expect.stringMatching(msg) });
  });

  it('refuses a missing file and a non-safetensors file', async () => {
    await expect(readReference(path.join(tmp.dir, 'nope.safetensors'))).rejects.toMatchObject({
      code: 'NOT_FOUND',
      exitCode: 2,
    });
  });

  it('lets a bare candidate file omit inputs and logit_scale', async () => {
    const p = await write(good({ 'inputs.pixel_values': null, 'inputs.input_ids': null, logit_scale: null }));
    const r = await readReference(p, { requireInputs: false });
    expect(r.pixelValues).toBeNull();
    expect(r.n).toBe(2);
  });
});
