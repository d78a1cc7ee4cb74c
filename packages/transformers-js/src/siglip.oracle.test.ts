import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoProcessor, AutoTokenizer, SiglipTextModel, SiglipVisionModel, pipeline } from '@huggingface/transformers';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { convertToTransformersJs, readTransformersJsLayout, TRANSFORMERS_JS_DTYPE, type LayoutDtype } from './index.js';
import {
  convertWithTestTokenizer,
  maxLengthIds,
  textTowerOracle,
  type TextTowerOracle,
} from './test-utils/layout-oracle.js';
import { ordinaryTexts } from './test-utils/ordinary-texts.js';
import { compareTowers } from './test-utils/compare-towers.js';
import { ownCosines, zeroShotImages } from './test-utils/zero-shot.js';
import { loadReference } from '#test-support/reference.js';

// tiny SigLIP (timm MAP-head trunk, bidirectional text tower pooling the last token, logit_bias) made by open_clip
const FIXTURE = path.join(generatedFixtures, 'export-zoo', 'ViT-B-16-SigLIP');
const NAME = 'siglip';
const MIN_COS: Record<LayoutDtype, number> = { fp32: 0.99999, fp16: 0.999, int8: 0.99 };
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

describe.skipIf(!hasOracle)('transformers.js runs a SigLIP-style model as open_clip does (Node, offline)', () => {
  const tmp = tempDir('cliphub-tjs-siglip-');
  const texts = [...ordinaryTexts(40, 5), 'a dog', 'x', ''];
  let oracle: TextTowerOracle;
  beforeAll(async () => {
    oracle = await convertWithTestTokenizer(tmp.dir, {
      fixture: FIXTURE,
      name: NAME,
      tokenizer: 'unigram-t5',
      texts,
      dtypes: ['fp32', 'fp16', 'int8'],
    });
  }, 300_000);
  afterAll(() => tmp.cleanup());

  it("config.json is model_type siglip with open_clip's logit_scale and logit_bias", async () => {
    const config = JSON.parse(readFileSync(path.join(tmp.dir, NAME, 'config.json'), 'utf8')) as Record<string, unknown>;
    const ref = await loadReference(path.join(FIXTURE, 'reference.safetensors'));
    expect(config.model_type).toBe('siglip');
    expect(config.logit_scale_init_value).toBeCloseTo(ref.logitScale, 6);
    expect(config.logit_bias_init_value).toBe(-10);
    // cliphub push reads it to show the SigLIP snippet in the model card
    expect(readTransformersJsLayout(path.join(tmp.dir, NAME))).toEqual({
      dtypes: ['fp32', 'fp16', 'int8'],
      modelType: 'siglip',
    });
  });

  for (const dtype of ['fp32', 'fp16', 'int8'] as const) {
    it(`${dtype}: SiglipVisionModel / SiglipTextModel on AutoTokenizer's max_length ids reproduce open_clip`, async () => {
      const opts = { dtype: TRANSFORMERS_JS_DTYPE[dtype] };
      const ref = await loadReference(path.join(FIXTURE, 'reference.safetensors'));
      const vision = await SiglipVisionModel.from_pretrained(NAME, opts);
      const text = await SiglipTextModel.from_pretrained(NAME, opts);
      const tokenizer = await AutoTokenizer.from_pretrained(NAME);
      // the padding the zero-shot pipeline uses for model_type siglip; the text graph takes exactly 64 ids
      const tokenize = (t: string[]) => tokenizer(t, { padding: 'max_length', truncation: true });
      const comparisons = await compareTowers({ tokenize, text, vision }, texts, ref.pixels, {
        text: oracle.text_embeds,
        image: ref.image.data,
      });
      for (const c of comparisons) {
        expect(c.minCos).toBeGreaterThanOrEqual(MIN_COS[dtype]);
        if (dtype === 'fp32') expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
      }
      await Promise.all([vision.dispose(), text.dispose()]);
    }, 120_000);
  }

  it('over-long texts lose their end token in transformers.js and the text graph puts it back', async () => {
    const ids = await maxLengthIds(NAME, texts);
    const cut = ids.filter((row, i) => row[row.length - 1] !== oracle.ids[i]?.at(-1)).length;
    // every 10th ordinary text is over-long: open_clip ends it with </s> (1), transformers.js with a word piece;
    // only rows that fill the context can differ there
    const full = oracle.ids.filter((row) => row.at(-1) !== 0).length;
    expect(cut).toBeGreaterThanOrEqual(4);
    expect(cut).toBeLessThanOrEqual(full);
    for (const [i, row] of ids.entries()) expect(row.slice(0, -1)).toEqual(oracle.ids[i]?.slice(0, -1));
  });

  it('SigLIP2 (Gemma-like byte-fallback BPE tokenizer, tanh GELU): fp32 towers reproduce open_clip', async () => {
    const fixture = path.join(generatedFixtures, 'export-zoo', 'ViT-B-16-SigLIP2');
    const gemma = path.join(tmp.dir, 'tokenizers', 'bpe-gemma');
    await convertToTransformersJs({ input: fixture, outDir: path.join(tmp.dir, 'siglip2'), hfTokenizer: gemma });
    const want = await textTowerOracle(path.join(tmp.dir, 'job2.json'), { dir: fixture, tokenizer: gemma, texts });
    const ref = await loadReference(path.join(fixture, 'reference.safetensors'));
    const tokenizer = await AutoTokenizer.from_pretrained('siglip2');
    const text = await SiglipTextModel.from_pretrained('siglip2', { dtype: 'fp32' });
    const vision = await SiglipVisionModel.from_pretrained('siglip2', { dtype: 'fp32' });
    const tokenize = (t: string[]) => tokenizer(t, { padding: 'max_length', truncation: true });
    const comparisons = await compareTowers({ tokenize, text, vision }, texts, ref.pixels, {
      text: want.text_embeds,
      image: ref.image.data,
    });
    for (const c of comparisons) {
      expect(c.minCos).toBeGreaterThanOrEqual(0.99999);
      expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
    }
    await Promise.all([text.dispose(), vision.dispose()]);
  }, 300_000);

  it('zero-shot-image-classification = sigmoid(exp(logit_scale)·cos + logit_bias) of its own embeddings', async () => {
    const classify = await pipeline('zero-shot-image-classification', NAME, { dtype: 'fp32' });
    const processor = await AutoProcessor.from_pretrained(NAME);
    const tokenizer = await AutoTokenizer.from_pretrained(NAME);
    const vision = await SiglipVisionModel.from_pretrained(NAME, { dtype: 'fp32' });
    const text = await SiglipTextModel.from_pretrained(NAME, { dtype: 'fp32' });
    const ref = await loadReference(path.join(FIXTURE, 'reference.safetensors'));
    const scale = Math.exp(ref.logitScale);
    const labels = ['dog', 'cat', 'an astronaut riding a horse on the moon '.repeat(8), 'car'];
    const template = 'This is a photo of {}';
    const images = zeroShotImages();
    const results = (await classify(images, labels, { hypothesis_template: template })) as Array<
      Array<{ label: string; score: number }>
    >;
    const cosines = await ownCosines(
      { processor, vision, text, tokenize: (texts) => tokenizer(texts, { padding: 'max_length', truncation: true }) },
      images,
      labels.map((l) => template.replace('{}', l)),
    );
    let checked = 0;
    for (const [i, cos] of cosines.entries()) {
      for (const [j, label] of labels.entries()) {
        const got = results[i]?.find((r) => r.label === label)?.score as number;
        expect(Math.abs(got - sigmoid(scale * (cos[j] as number) - 10))).toBeLessThanOrEqual(1e-4);
        checked++;
      }
    }
    expect(checked).toBe(12);
    await Promise.all([classify.dispose(), vision.dispose(), text.dispose()]);
  }, 120_000);
});
