import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { hasOracle, runPython, tempDir } from '#test-support';
import {
  cleanText,
  CLIP_MERGE_COUNT,
  CLIP_MERGES_SHA256,
  parseBpeVocab,
  parseMergesFile,
  SimpleTokenizer,
} from '@cliphub/tokenizer';
import { generateTexts } from './test-utils/gen-texts.js';
import { testVocabPath } from './test-utils/vocab.js';

// Python lays the files out as Hugging Face CLIP repos do (openai/clip-vit-base-patch32): merges.txt with a
// '#version: 0.2' header then the first 48,894 merges of the gz, and vocab.json = open_clip's encoder with HF's special
// names. Then, per text, open_clip's ids, and transformers' CLIPTokenizer's ids for the text as open_clip cleaned it and
// as we clean it (CLIPTokenizer has no ftfy/html cleaning; its NFC + whitespace + lowercase is a no-op on cleaned text).
// The two cleanings differ only on mojibake ftfy's heuristic declines (simple-tokenizer.parity.test.ts); feeding each
// side its own cleaning leaves the merges as the only thing compared, so every row must match.
const PY = `
import gzip, json, sys, os, open_clip
from open_clip.tokenizer import default_bpe, SimpleTokenizer
from transformers import CLIPTokenizer
out_dir, texts_file, ids_file = sys.argv[1:4]
lines = gzip.open(default_bpe()).read().decode('utf-8').split('\\n')
merges = lines[1:49152 - 256 - 2 + 1]
with open(os.path.join(out_dir, 'merges.txt'), 'w', encoding='utf-8') as f:
    f.write('#version: 0.2\\n' + '\\n'.join(merges) + '\\n')
st = SimpleTokenizer()
names = {'<start_of_text>': '<|startoftext|>', '<end_of_text>': '<|endoftext|>'}
vocab = {names.get(k, k): v for k, v in st.encoder.items()}
with open(os.path.join(out_dir, 'vocab.json'), 'w', encoding='utf-8') as f:
    json.dump(vocab, f, ensure_ascii=False)
hf = CLIPTokenizer.from_pretrained(out_dir)
texts = json.load(open(texts_file, encoding='utf-8'))
res = {'hf_vocab': len(hf), 'hf_bos': hf.bos_token_id, 'hf_eos': hf.eos_token_id, 'rows': []}
for t, ours_cleaned in texts:
    ids = lambda c: hf(c, add_special_tokens=False)['input_ids']
    res['rows'].append([st.encode(t), ids(st.clean_fn(t)), ids(ours_cleaned)])
json.dump(res, open(ids_file, 'w'))
`;

interface PyOut {
  hf_vocab: number;
  hf_bos: number;
  hf_eos: number;
  rows: Array<[number[], number[], number[]]>;
}

describe.skipIf(!testVocabPath)('parseMergesFile', () => {
  const gz = (): Buffer => readFileSync(testVocabPath as string);
  // What an HF CLIP repo's merges.txt holds, derived here without Python (the oracle test below writes it in Python).
  const mergesTxt = (): string =>
    `#version: 0.2\n${gunzipSync(gz())
      .toString('utf8')
      .split('\n')
      .slice(1, CLIP_MERGE_COUNT + 1)
      .join('\n')}\n`;

  it('reads the gz and a merges.txt into the same 48,894 merges, fingerprinted as CLIP', () => {
    const a = parseMergesFile(gz(), 'gz');
    const b = parseMergesFile(Buffer.from(mergesTxt()), 'txt');
    expect([a.format, b.format]).toEqual(['open_clip-gz', 'hf-merges-txt']);
    expect(a.merges).toHaveLength(CLIP_MERGE_COUNT);
    expect(b.merges).toEqual(a.merges);
    expect([a.sha256, b.sha256]).toEqual([CLIP_MERGES_SHA256, CLIP_MERGES_SHA256]);
    // CRLF line ends and a missing final newline change nothing
    expect(parseMergesFile(Buffer.from(mergesTxt().trimEnd().replace(/\n/g, '\r\n'))).sha256).toBe(CLIP_MERGES_SHA256);
  });

  it('a header-less merges.txt keeps its first merge, as tokenizers reads it', () => {
    const body = mergesTxt().split('\n').slice(1).join('\n');
    expect(parseMergesFile(Buffer.from(`${body}`)).merges[0]).toEqual(['i', 'n']);
  });

  it('refuses short, malformed, non-UTF-8 and non-CLIP merge files with VOCAB_INVALID naming the source', () => {
    const lines = mergesTxt().split('\n');
    const short = lines.slice(0, 1000).join('\n');
    expect(() => parseMergesFile(Buffer.from(short), 'short.txt')).toThrow(
      expect.objectContaining({
        code: 'VOCAB_INVALID',
        exitCode: 2,
        message: expect.stringContaining('short.txt holds 999 BPE merges'),
      }),
    );
    const bad = [...lines.slice(0, 5), 'one two three', ...lines.slice(6)].join('\n');
    expect(() => parseMergesFile(Buffer.from(bad), 'bad.txt')).toThrow(
      expect.objectContaining({ message: expect.stringContaining('bad.txt line 6') }),
    );
    expect(() => parseMergesFile(Buffer.from([0x23, 0xff, 0xfe, 0x0a]), 'bin')).toThrow(
      expect.objectContaining({ code: 'VOCAB_INVALID' }),
    );
    // Same format and count, other merges (two swapped): parses, but is not CLIP's, so the vocab builder refuses it.
    const swapped = [...lines];
    [swapped[10], swapped[11]] = [swapped[11] as string, swapped[10] as string];
    const other = Buffer.from(swapped.join('\n'));
    expect(parseMergesFile(other).sha256).not.toBe(CLIP_MERGES_SHA256);
    expect(() => parseBpeVocab(other, 'other/merges.txt')).toThrow(
      expect.objectContaining({
        code: 'VOCAB_INVALID',
        message: expect.stringContaining("other/merges.txt holds another tokenizer's merges"),
      }),
    );
  });

  it('finds merges.txt in a model dir when the gz is absent', async () => {
    const { dir, cleanup } = tempDir();
    try {
      writeFileSync(path.join(dir, 'merges.txt'), mergesTxt());
      const tok = await SimpleTokenizer.load({ modelDir: dir });
      expect(tok.encode('a photo of a cat')).toEqual([320, 1125, 539, 320, 2368]);
      expect(tok.vocabSize).toBe(49408);
    } finally {
      cleanup();
    }
  });
});

describe.skipIf(!hasOracle || !testVocabPath)(
  'a tokenizer from an HF merges.txt equals the gz one, open_clip and CLIPTokenizer',
  () => {
    it('gives identical ids on 3,000 varied texts', async () => {
      const texts = generateTexts(3000, 5150);
      const { dir, cleanup } = tempDir();
      try {
        const textsFile = path.join(dir, 'texts.json');
        const idsFile = path.join(dir, 'ids.json');
        writeFileSync(textsFile, JSON.stringify(texts.map((t) => [t, cleanText(t, 'lower')])));
        runPython(PY, [dir, textsFile, idsFile]);
        const py = JSON.parse(readFileSync(idsFile, 'utf8')) as PyOut;
        expect([py.hf_vocab, py.hf_bos, py.hf_eos]).toEqual([49408, 49406, 49407]);

        const fromTxt = await SimpleTokenizer.load({ vocabPath: path.join(dir, 'merges.txt') });
        const fromGz = await SimpleTokenizer.load({ vocabPath: testVocabPath as string });
        const differs: Array<{ text: string; what: string; a: number[]; b: number[] }> = [];
        const check = (text: string, what: string, a: number[], b: number[]): void => {
          if (JSON.stringify(a) !== JSON.stringify(b)) differs.push({ text, what, a, b });
        };
        let sameAsOpenClip = 0;
        texts.forEach((text, i) => {
          const ours = fromTxt.encode(text);
          const [openClip, hfOpenClipCleaned, hfOursCleaned] = py.rows[i] as [number[], number[], number[]];
          check(text, 'merges.txt vs gz', ours, fromGz.encode(text));
          check(text, 'ours vs CLIPTokenizer on our cleaning', ours, hfOursCleaned);
          check(text, 'open_clip vs CLIPTokenizer on its cleaning', openClip, hfOpenClipCleaned);
          if (JSON.stringify(ours) === JSON.stringify(openClip)) sameAsOpenClip++;
        });
        console.log(
          `merges.txt vs gz vs CLIPTokenizer(merges.txt, vocab.json): ${texts.length - differs.length}/${texts.length} rows identical; ours = open_clip on ${sameAsOpenClip} (the rest: ftfy's mojibake heuristic)`,
        );
        expect(differs.slice(0, 5)).toEqual([]);
      } finally {
        cleanup();
      }
    });
  },
);
