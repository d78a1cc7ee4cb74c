import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  Tensor,
  env,
  pipeline,
} from '@huggingface/transformers';
import { generatedFixtures, hasOracle, pythonScriptJsonAsync, tempDir } from '#test-support';
import { convertToTransformersJs, TRANSFORMERS_JS_DTYPE, type LayoutDtype } from './index.js';
import { ordinaryTexts } from './test-utils/ordinary-texts.js';
import { maxLengthIds } from './test-utils/layout-oracle.js';
import { ownCosines, zeroShotImages } from './test-utils/zero-shot.js';
import { compareRows } from '@cliphub/core';
import { loadReference } from '#test-support/reference.js';

const ORACLE = path.join(import.meta.dirname, 'test-utils/open_clip_oracle.py');
// ViT (QuickGELU and GELU) and ModifiedResNet fixtures made by the real open_clip
const FIXTURES = ['tiny-vit-quickgelu', 'tiny-vit-gelu', 'tiny-rn-quickgelu'];
const MIN_COS: Record<LayoutDtype, number> = { fp32: 0.99999, fp16: 0.999, int8: 0.99 };
const EOT = 49407;

interface OracleOut {
  ids: number[][];
  text_embeds?: number[][];
}

function openClip(dir: string, texts: string[], embed: boolean, work: string): Promise<OracleOut> {
  const job = path.join(work, `oracle-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(job, JSON.stringify({ dir, texts, embed }));
  return pythonScriptJsonAsync<OracleOut>(ORACLE, [job]);
}

describe.skipIf(!hasOracle)('transformers.js loads cliphub convert --to transformers.js (Node, offline)', () => {
  const tmp = tempDir('cliphub-tjs-');
  beforeAll(async () => {
    env.allowRemoteModels = false;
    env.localModelPath = `${tmp.dir}/`;
    for (const name of FIXTURES) {
      await convertToTransformersJs({
        input: path.join(generatedFixtures, 'models', name),
        outDir: path.join(tmp.dir, name),
        dtypes: ['fp32', 'fp16', 'int8'],
      });
    }
  });
  afterAll(() => tmp.cleanup());

  for (const name of FIXTURES) {
    for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
      it(`${name} ${dtype}: *WithProjection reproduce open_clip's reference embeddings`, async () => {
        const ref = await loadReference(path.join(generatedFixtures, 'models', name, 'reference.safetensors'));
        const opts = { dtype: TRANSFORMERS_JS_DTYPE[dtype] };
        const vision = await CLIPVisionModelWithProjection.from_pretrained(name, opts);
        const text = await CLIPTextModelWithProjection.from_pretrained(name, opts);
        const ids = new Tensor('int64', ref.ids.data, ref.ids.dims);
        const mask = new Tensor('int64', new BigInt64Array(ref.ids.data.length).fill(1n), ref.ids.dims);
        const { text_embeds } = (await text({ input_ids: ids, attention_mask: mask })) as { text_embeds: Tensor };
        const { image_embeds } = (await vision({
          pixel_values: new Tensor('float32', ref.pixels.data, ref.pixels.dims),
        })) as { image_embeds: Tensor };
        const d = text_embeds.dims[1] as number;
        for (const [got, want] of [
          [text_embeds.data as Float32Array, ref.text.data],
          [image_embeds.data as Float32Array, ref.image.data],
        ] as const) {
          const c = compareRows(got, want, d);
          expect(c.minCos).toBeGreaterThanOrEqual(MIN_COS[dtype]);
          if (dtype === 'fp32') expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
        }
        await Promise.all([vision.dispose(), text.dispose()]);
      });
    }
  }

  it("AutoTokenizer gives open_clip's ids for 1,000 ordinary strings (over-long ones up to the cut EOT)", async () => {
    const texts = ordinaryTexts(1000);
    const want = (await openClip(path.join(generatedFixtures, 'models', FIXTURES[0] as string), texts, false, tmp.dir))
      .ids;
    const got = await maxLengthIds(FIXTURES[0] as string, texts);
    let overLong = 0;
    for (const [i, ids] of got.entries()) {
      // transformers.js truncates by cutting, so an over-long text loses the EOT open_clip puts last; the text
      // graph puts it back (restore-eot), so those rows must equal open_clip's up to that one id.
      if (!ids.includes(EOT)) {
        overLong++;
        ids[ids.length - 1] = EOT;
      }
      expect({ i, text: texts[i], ids }).toEqual({ i, text: texts[i], ids: want[i] });
    }
    expect(overLong).toBe(100);
  }, 120_000);

  it("the text graph on texts padded to the longest (and over-long ones) gives open_clip's embeddings", async () => {
    const texts = [...ordinaryTexts(30, 7), 'a dog', 'x'];
    for (const name of FIXTURES) {
      const oracle = await openClip(path.join(generatedFixtures, 'models', name), texts, true, tmp.dir);
      const want = oracle.text_embeds as number[][];
      const tokenizer = await AutoTokenizer.from_pretrained(name);
      const model = await CLIPTextModelWithProjection.from_pretrained(name, { dtype: 'fp32' });
      const inputs = tokenizer(texts, { padding: true, truncation: true });
      const { text_embeds } = (await model(inputs)) as { text_embeds: Tensor };
      const c = compareRows(
        text_embeds.data as Float32Array,
        Float32Array.from(want.flat()),
        text_embeds.dims[1] as number,
      );
      expect(c.minCos, name).toBeGreaterThanOrEqual(0.99999);
      await model.dispose();
    }
  }, 300_000);

  it('zero-shot-image-classification = softmax(exp(logit_scale)·cos) of its own embeddings', async () => {
    for (const name of FIXTURES) {
      const classify = await pipeline('zero-shot-image-classification', name, { dtype: 'fp32' });
      const processor = await AutoProcessor.from_pretrained(name);
      const tokenizer = await AutoTokenizer.from_pretrained(name);
      const vision = await CLIPVisionModelWithProjection.from_pretrained(name, { dtype: 'fp32' });
      const text = await CLIPTextModelWithProjection.from_pretrained(name, { dtype: 'fp32' });
      const ref = await loadReference(path.join(generatedFixtures, 'models', name, 'reference.safetensors'));
      const scale = Math.exp(ref.logitScale);
      const labels = ['dog', 'cat', 'a very long label about an astronaut riding a horse on the moon', 'car'];
      const template = 'This is a photo of {}';
      const images = zeroShotImages();
      const results = (await classify(images, labels, { hypothesis_template: template })) as Array<
        Array<{ label: string; score: number }>
      >;
      const cosines = await ownCosines(
        { processor, vision, text, tokenize: (texts) => tokenizer(texts, { padding: true, truncation: true }) },
        images,
        labels.map((l) => template.replace('{}', l)),
      );
      for (const [i, cos] of cosines.entries()) {
        const logits = cos.map((c) => scale * c);
        const top = Math.max(...logits);
        const exps = logits.map((l) => Math.exp(l - top));
        const sum = exps.reduce((a, b) => a + b, 0);
        for (const [j, label] of labels.entries()) {
          const got = results[i]?.find((r) => r.label === label)?.score as number;
          expect(Math.abs(got - (exps[j] as number) / sum)).toBeLessThanOrEqual(1e-4);
        }
      }
      await Promise.all([classify.dispose(), vision.dispose(), text.dispose()]);
    }
  }, 120_000);
});
