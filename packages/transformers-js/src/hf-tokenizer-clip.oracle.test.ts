import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AutoTokenizer, CLIPTextModelWithProjection, type Tensor } from '@huggingface/transformers';
import { generatedFixtures, hasOracle, tempDir } from '#test-support';
import { convertWithTestTokenizer } from './test-utils/layout-oracle.js';
import { ordinaryTexts } from './test-utils/ordinary-texts.js';
import { compareRows } from '@cliphub/core';

// MetaCLIP 2 worldwide (tiny, made by open_clip): a causal text tower pooling the end token (eos_id 1), an mT5
// tokenizer with clean 'canonicalize'; the T5-like test tokenizer also ends texts with </s> = 1.
const FIXTURE = path.join(generatedFixtures, 'export-zoo', 'ViT-L-14-worldwide');
const NAME = 'worldwide';

describe.skipIf(!hasOracle)(
  'a CLIP-style model with a Hugging Face tokenizer in transformers.js (Node, offline)',
  () => {
    const tmp = tempDir('cliphub-tjs-hfclip-');
    const texts = [...ordinaryTexts(60, 3), 'a dog', 'x', ''];
    let want: Float32Array;
    beforeAll(async () => {
      const oracle = await convertWithTestTokenizer(tmp.dir, {
        fixture: FIXTURE,
        name: NAME,
        tokenizer: 'unigram-t5',
        texts,
      });
      want = Float32Array.from(oracle.text_embeds.flat());
    }, 300_000);
    afterAll(() => tmp.cleanup());

    it("config.json is model_type clip and the tokenizer is the user's with open_clip's clean", () => {
      const config = JSON.parse(readFileSync(path.join(tmp.dir, NAME, 'config.json'), 'utf8')) as {
        model_type: string;
      };
      expect(config.model_type).toBe('clip');
      const tokenizer = JSON.parse(readFileSync(path.join(tmp.dir, NAME, 'tokenizer.json'), 'utf8')) as {
        model: { type: string };
      };
      expect(tokenizer.model.type).toBe('Unigram');
    });

    for (const padding of [true, 'max_length'] as const) {
      it(`texts padded ${padding === true ? 'to the longest' : 'to the context'} (over-long ones cut) give open_clip's embeddings`, async () => {
        const tokenizer = await AutoTokenizer.from_pretrained(NAME);
        const model = await CLIPTextModelWithProjection.from_pretrained(NAME, { dtype: 'fp32' });
        const inputs = tokenizer(texts, { padding, truncation: true });
        if (padding === true) expect((inputs.input_ids as Tensor).dims[1]).toBeLessThanOrEqual(77);
        const { text_embeds } = (await model(inputs)) as { text_embeds: Tensor };
        const c = compareRows(text_embeds.data as Float32Array, want, text_embeds.dims[1] as number);
        expect(c.minCos).toBeGreaterThanOrEqual(0.99999);
        expect(c.maxAbs).toBeLessThanOrEqual(1e-4 * c.maxRef);
        await model.dispose();
      }, 120_000);
    }
  },
);
