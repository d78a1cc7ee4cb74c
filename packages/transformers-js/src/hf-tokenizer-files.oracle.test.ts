import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonScriptJsonAsync, tempDir } from '#test-support';
import { hfTokenizerFiles, type HfCleanMode } from './hf-tokenizer-files.js';
import { readHfTokenizer } from './read-hf-tokenizer.js';
import { loadLocalModelsFrom, makeTestTokenizers, maxLengthIds } from './test-utils/layout-oracle.js';
import { ordinaryTexts } from './test-utils/ordinary-texts.js';

const UTILS = path.join(import.meta.dirname, 'test-utils');
// tiny real tokenizers of the kinds open_clip's HF-tokenizer models use, with the clean and context they use
const CASES: Array<{ name: string; clean: HfCleanMode; contextLength: number }> = [
  { name: 'wordpiece', clean: 'lower', contextLength: 32 },
  { name: 'wordpiece', clean: 'whitespace', contextLength: 77 },
  { name: 'unigram-t5', clean: 'canonicalize', contextLength: 64 },
  { name: 'unigram-xlmr', clean: 'whitespace', contextLength: 77 },
  { name: 'unigram-xlmr', clean: 'lower', contextLength: 16 },
  { name: 'bpe-gemma', clean: 'canonicalize', contextLength: 64 },
];

describe.skipIf(!hasOracle)("transformers.js's AutoTokenizer gives open_clip's HFTokenizer ids", () => {
  const tmp = tempDir('cliphub-tjs-hftok-');
  const texts = [
    ...ordinaryTexts(1000, 29),
    '',
    '   ',
    'snake_case_words and__double',
    '\u201cQuoted\u201d \u2018text\u2019 \u2014 dash',
    '  leading and trailing  ',
    'tabs\tand\nnewlines\u3000wide space',
    'ÉCOLE Ünïcödé ﬁ ligature ＡＢＣ fullwidth',
    '#hashtag @user https://example.com/a?b=c',
  ];
  beforeAll(async () => {
    loadLocalModelsFrom(tmp.dir);
    await makeTestTokenizers(path.join(tmp.dir, 'src'));
  }, 120_000);
  afterAll(() => tmp.cleanup());

  for (const { name, clean, contextLength } of CASES) {
    it(`${name}, clean '${clean}', context ${contextLength}: ${texts.length} texts (over-long ones up to the end token the graph puts back)`, async () => {
      const srcDir = path.join(tmp.dir, 'src', name);
      const layout = hfTokenizerFiles(readHfTokenizer(srcDir, name), { contextLength, clean });
      const outName = `${name}-${clean}-${contextLength}`;
      mkdirSync(path.join(tmp.dir, outName));
      for (const [file, content] of Object.entries(layout.files))
        writeFileSync(path.join(tmp.dir, outName, file), JSON.stringify(content));
      const job = path.join(tmp.dir, `${outName}.json`);
      writeFileSync(job, JSON.stringify({ dir: srcDir, texts, context_length: contextLength, clean }));
      const want = (await pythonScriptJsonAsync<{ ids: number[][] }>(path.join(UTILS, 'hf_tokenizer_oracle.py'), [job]))
        .ids;
      const got = await maxLengthIds(outName, texts);
      let restored = 0;
      for (const [i, ids] of got.entries()) {
        expect(ids.length).toBe(contextLength);
        // what the text graph does: a row whose last id is not padding was cut, and open_clip ends it with the end token
        const last = ids.length - 1;
        if (layout.endId !== null && ids[last] !== layout.padId && ids[last] !== layout.endId) {
          ids[last] = layout.endId;
          restored++;
        }
        expect({ i, text: texts[i], ids }).toEqual({ i, text: texts[i], ids: want[i] });
      }
      // only over-long texts are cut: each needs more ids than the context
      const full = want.filter((r) => r[r.length - 1] !== layout.padId).length;
      expect(restored).toBeLessThanOrEqual(full);
      if (contextLength <= 32 && layout.endId !== null) expect(restored).toBeGreaterThan(50);
    }, 120_000);
  }
});
