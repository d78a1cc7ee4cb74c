import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

// Hand-made Hugging Face tokenizer files (the Hub is out of reach in tests): a BERT-style WordPiece and a
// SigLIP-style Unigram with Metaspace and an appended EOS.
const special = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

export const WORDPIECE_VOCAB = [
  '[PAD]',
  '[UNK]',
  '[CLS]',
  '[SEP]',
  'a',
  'photo',
  'of',
  'cat',
  'dog',
  '##s',
  'the',
  'play',
  '##ing',
  ',',
  '.',
];

/** Writes dir/tokenizer.json (no truncation or padding, as the Hub's files have it) and dir/tokenizer_config.json. */
function writeHfTokenizer(dir: string, tokenizer: Record<string, unknown>, config: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({ version: '1.0', truncation: null, padding: null, ...tokenizer }),
  );
  writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(config));
  return dir;
}

export function writeWordPiece(dir: string, config: Record<string, unknown> = {}): string {
  const tpl = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return writeHfTokenizer(
    dir,
    {
      added_tokens: [special(0, '[PAD]'), special(1, '[UNK]'), special(2, '[CLS]'), special(3, '[SEP]')],
      normalizer: {
        type: 'BertNormalizer',
        clean_text: true,
        handle_chinese_chars: true,
        strip_accents: null,
        lowercase: true,
      },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [tpl('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, tpl('[SEP]')],
        pair: [
          tpl('[CLS]'),
          { Sequence: { id: 'A', type_id: 0 } },
          tpl('[SEP]'),
          { Sequence: { id: 'B', type_id: 1 } },
          tpl('[SEP]'),
        ],
        special_tokens: {
          '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
          '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
        },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: {
        type: 'WordPiece',
        unk_token: '[UNK]',
        continuing_subword_prefix: '##',
        max_input_chars_per_word: 100,
        vocab: Object.fromEntries(WORDPIECE_VOCAB.map((t, i) => [t, i])),
      },
    },
    {
      tokenizer_class: 'BertTokenizer',
      pad_token: '[PAD]',
      sep_token: '[SEP]',
      cls_token: '[CLS]',
      unk_token: '[UNK]',
      ...config,
    },
  );
}

export const UNIGRAM_VOCAB: [string, number][] = [
  ['<pad>', 0],
  ['</s>', 0],
  ['<unk>', 0],
  ['▁', -2],
  ['▁a', -3],
  ['▁photo', -4],
  ['▁of', -3],
  ['▁cat', -4],
  ['s', -3],
  ['▁dog', -4],
  ['▁the', -3],
  ['c', -6],
  ['a', -6],
  ['t', -6],
  ['o', -6],
  ['g', -6],
  ['d', -6],
];

export function writeUnigram(dir: string): string {
  return writeHfTokenizer(
    dir,
    {
      added_tokens: [special(0, '<pad>'), special(1, '</s>'), special(2, '<unk>')],
      normalizer: null,
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
        pair: [
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 0 } },
          { SpecialToken: { id: '</s>', type_id: 0 } },
        ],
        special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
      },
      decoder: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      model: { type: 'Unigram', unk_id: 2, vocab: UNIGRAM_VOCAB, byte_fallback: false },
    },
    { pad_token: '<pad>', eos_token: '</s>', unk_token: '<unk>' },
  );
}
