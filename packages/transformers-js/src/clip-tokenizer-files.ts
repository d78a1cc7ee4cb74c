import type { BpeVocab } from '@cliphub/tokenizer';

export const SOT_TOKEN = '<start_of_text>';
export const EOT_TOKEN = '<end_of_text>';
/** open_clip pads with id 0, which is the byte symbol '!'. */
const PAD_TOKEN = '!';

// Python's `\s` (str.isspace): open_clip's whitespace_clean turns each run into one space.
export const PY_SPACE =
  '[\\t\\n\\x0b\\x0c\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
// open_clip's SimpleTokenizer pattern (compiled with re.IGNORECASE, so the contractions match any case). After
// the whitespace normalizer the only space left is ' ', so `[^\s…]` is written `[^ …]` (JS's \s would also
// exclude U+FEFF, which Python's does not).
const CONTRACTIONS = ['s', 't', 're', 've', 'm', 'll', 'd'].map(
  (c) => `'${[...c].map((ch) => `[${ch}${ch.toUpperCase()}]`).join('')}`,
);
const SPLIT_PATTERN = [SOT_TOKEN, EOT_TOKEN, ...CONTRACTIONS, '[\\p{L}]+', '[\\p{N}]', '[^ \\p{L}\\p{N}]+'].join('|');

export type ClipCleanMode = 'lower' | 'whitespace';

export interface ClipTokenizerFiles {
  'tokenizer.json': Record<string, unknown>;
  'tokenizer_config.json': Record<string, unknown>;
  'special_tokens_map.json': Record<string, unknown>;
}

/**
 * The Hugging Face tokenizer files for open_clip's CLIP BPE: the vocab and merges from `vocab`, open_clip's
 * cleaning as normalizers (NFC as ftfy ends with, ftfy's quote uncurling, whitespace runs to one space, lowercase
 * for clean='lower'), its split pattern, SOT/EOT around every text, padding with id 0 to `contextLength`.
 * ftfy's mojibake repair and html.unescape have no normalizer; texts that need them tokenize differently.
 */
export function clipTokenizerFiles(
  vocab: BpeVocab,
  options: { contextLength: number; clean: ClipCleanMode },
): ClipTokenizerFiles {
  const sot = vocab.encoder.get(SOT_TOKEN);
  const eot = vocab.encoder.get(EOT_TOKEN);
  if (sot === undefined || eot === undefined) throw new Error('internal: the CLIP vocab lacks its special tokens');
  const merges = [...vocab.ranks.entries()].sort((a, b) => a[1] - b[1]).map(([pair]) => pair);
  const special = (content: string, id: number) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    // open_clip matches them in the cleaned (lowercased) text
    normalized: true,
    special: true,
  });
  const template = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [special(SOT_TOKEN, sot), special(EOT_TOKEN, eot)],
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'NFC' },
        // ftfy's uncurl_quotes
        { type: 'Replace', pattern: { Regex: '[\\u02bc\\u2018-\\u201b]' }, content: "'" },
        { type: 'Replace', pattern: { Regex: '[\\u201c-\\u201f]' }, content: '"' },
        { type: 'Replace', pattern: { Regex: PY_SPACE }, content: ' ' },
        ...(options.clean === 'lower' ? [{ type: 'Lowercase' }] : []),
      ],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: SPLIT_PATTERN }, behavior: 'Removed', invert: true },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'TemplateProcessing',
      single: [template(SOT_TOKEN), { Sequence: { id: 'A', type_id: 0 } }, template(EOT_TOKEN)],
      pair: [
        template(SOT_TOKEN),
        { Sequence: { id: 'A', type_id: 0 } },
        template(EOT_TOKEN),
        { Sequence: { id: 'B', type_id: 0 } },
        template(EOT_TOKEN),
      ],
      special_tokens: {
        [SOT_TOKEN]: { id: SOT_TOKEN, ids: [sot], tokens: [SOT_TOKEN] },
        [EOT_TOKEN]: { id: EOT_TOKEN, ids: [eot], tokens: [EOT_TOKEN] },
      },
    },
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '</w>',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab.encoder),
      merges,
    },
  };
  const specials = { bos_token: SOT_TOKEN, eos_token: EOT_TOKEN, pad_token: PAD_TOKEN, unk_token: EOT_TOKEN };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': {
      tokenizer_class: 'CLIPTokenizer',
      model_max_length: options.contextLength,
      padding_side: 'right',
      do_lower_case: options.clean === 'lower',
      clean_up_tokenization_spaces: false,
      ...specials,
    },
    'special_tokens_map.json': specials,
  };
}
