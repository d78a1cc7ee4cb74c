import { LIGATURES } from '@cliphub/tokenizer';
import { PY_SPACE } from './clip-tokenizer-files.js';
import { TransformersJsError } from './errors.js';
import type { HfTokenizerSource, JsonObject } from './read-hf-tokenizer.js';

/** open_clip's `clean` functions (tokenizer.py get_clean_fn). */
export type HfCleanMode = 'lower' | 'whitespace' | 'canonicalize';
export const HF_CLEAN_MODES: readonly HfCleanMode[] = ['lower', 'whitespace', 'canonicalize'];

// Python's string.punctuation, which canonicalize_text deletes
const PY_PUNCTUATION = '[\\x21-\\x2f\\x3a-\\x40\\x5b-\\x60\\x7b-\\x7e]';

const replace = (regex: string, content: string) => ({ type: 'Replace', pattern: { Regex: regex }, content });
const replaceString = (from: string, content: string) => ({ type: 'Replace', pattern: { String: from }, content });

/**
 * ftfy's fix_character_width: the ideographic space and the halfwidth / fullwidth forms U+FF01..U+FFEE become
 * their NFKC form (chardata.WIDTH_MAP is exactly the characters of that range NFKC changes).
 */
function widthMap(): Array<[string, string]> {
  const codes = [0x3000, ...Array.from({ length: 0xffef - 0xff01 }, (_, i) => 0xff01 + i)];
  return codes
    .map((code) => String.fromCodePoint(code))
    .map((ch): [string, string] => [ch, ch.normalize('NFKC')])
    .filter(([ch, nfkc]) => ch !== nfkc);
}

/**
 * open_clip's text cleaning as tokenizer.json normalizers, run before the tokenizer's own: basic_clean (ftfy's
 * ligature and character-width fixes, NFC as ftfy ends with, its quote uncurling), then for 'whitespace' / 'lower' whitespace runs to one space, strip
 * (and lowercase), for 'canonicalize' '_' to a space, string.punctuation removed, lowercase, whitespace runs to
 * one space, strip. The strip is a Replace of the one edge space left (transformers.js's Strip would also strip
 * U+FEFF, which Python's str.strip keeps). ftfy's mojibake repair and html.unescape have no normalizer.
 */
export function cleanNormalizers(clean: HfCleanMode): JsonObject[] {
  const basic = [
    ...Object.entries(LIGATURES).map(([from, to]) => replaceString(from, to)),
    ...widthMap().map(([from, to]) => replaceString(from, to)),
    { type: 'NFC' },
    replace('[\\u02bc\\u2018-\\u201b]', "'"),
    replace('[\\u201c-\\u201f]', '"'),
  ];
  const collapse = [replace(PY_SPACE, ' '), replace('^ | $', '')];
  if (clean === 'canonicalize')
    return [...basic, replace('_', ' '), replace(PY_PUNCTUATION, ''), { type: 'Lowercase' }, ...collapse];
  return [...basic, ...collapse, ...(clean === 'lower' ? [{ type: 'Lowercase' }] : [])];
}

export interface HfTokenizerLayout {
  files: Record<'tokenizer.json' | 'tokenizer_config.json' | 'special_tokens_map.json', JsonObject>;
  /** The id transformers.js pads with (the tokenizer's pad_token), as open_clip's padding='max_length'. */
  padId: number;
  /**
   * The special token the tokenizer puts last (its post-processor's end), or null when it adds none. Python's
   * truncation keeps it; transformers.js's cuts it off, so the text graph puts it back.
   */
  endId: number | null;
}

const SPECIAL_KEYS = ['bos_token', 'eos_token', 'unk_token', 'sep_token', 'pad_token', 'cls_token', 'mask_token'];

const tokenText = (v: unknown): string | null =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as JsonObject).content === 'string'
      ? ((v as JsonObject).content as string)
      : null;

/** A token's id: the added tokens first, then the model's vocabulary (a map, or Unigram's [piece, score] list). */
function tokenId(tokenizer: JsonObject, token: string): number | null {
  const added = Array.isArray(tokenizer.added_tokens) ? (tokenizer.added_tokens as JsonObject[]) : [];
  const hit = added.find((t) => t.content === token);
  if (hit && typeof hit.id === 'number') return hit.id;
  const vocab = (tokenizer.model as JsonObject | undefined)?.vocab;
  if (Array.isArray(vocab)) {
    const i = vocab.findIndex((e) => Array.isArray(e) && e[0] === token);
    return i < 0 ? null : i;
  }
  if (vocab && typeof vocab === 'object') {
    const id = (vocab as JsonObject)[token];
    return typeof id === 'number' ? id : null;
  }
  return null;
}

/** The ids a post-processor appends after the text (one or none are expressible), or why it is not expressible. */
function trailingSpecials(processor: unknown): number[] | string {
  if (processor === null || processor === undefined) return [];
  const p = processor as JsonObject;
  switch (p.type) {
    case 'TemplateProcessing': {
      const single = Array.isArray(p.single) ? (p.single as JsonObject[]) : [];
      const specials = (p.special_tokens ?? {}) as Record<string, { ids?: number[] }>;
      const ids: number[] = [];
      for (let i = single.length - 1; i >= 0; i--) {
        const item = single[i] as JsonObject;
        if (!('SpecialToken' in item)) break;
        const name = (item.SpecialToken as JsonObject).id as string;
        const tokenIds = specials[name]?.ids;
        if (!Array.isArray(tokenIds)) return `its template names '${name}' without ids`;
        ids.unshift(...tokenIds);
      }
      return ids;
    }
    case 'BertProcessing':
    case 'RobertaProcessing': {
      const sep = p.sep as [string, number] | undefined;
      return Array.isArray(sep) && typeof sep[1] === 'number' ? [sep[1]] : `its ${String(p.type)} has no sep`;
    }
    case 'ByteLevel':
      return [];
    case 'Sequence': {
      const ids: number[] = [];
      for (const inner of (p.processors as unknown[] | undefined) ?? []) {
        const r = trailingSpecials(inner);
        if (typeof r === 'string') return r;
        if (r.length) ids.splice(0, ids.length, ...r);
      }
      return ids;
    }
    default:
      return `its post-processor ${String(p.type)} is not one cliphub reads`;
  }
}

/**
 * The tokenizer files transformers.js loads so that AutoTokenizer(texts, { padding: 'max_length', truncation:
 * true }) gives open_clip's HFTokenizer ids: the user's tokenizer.json with open_clip's `clean` prepended to its
 * normalizer, tokenizer_config.json with model_max_length = the context length (transformers.js's max_length)
 * and right padding. Over-long texts keep their end token in Python and lose it in transformers.js; `endId`
 * lets the text graph put it back.
 */
export function hfTokenizerFiles(
  source: HfTokenizerSource,
  options: { contextLength: number; clean: HfCleanMode },
): HfTokenizerLayout {
  const bad = (why: string) =>
    new TransformersJsError(
      'NOT_EXPRESSIBLE',
      `transformers.js cannot reproduce open_clip's ids with the tokenizer in ${source.dir}: ${why}`,
    );
  const { tokenizer: original, config, specialTokensMap } = source;
  const specials: JsonObject = {};
  for (const key of SPECIAL_KEYS) {
    const v = config[key] ?? specialTokensMap[key];
    if (v !== undefined && v !== null) specials[key] = v;
  }
  const padToken = tokenText(specials.pad_token);
  if (padToken === null) throw bad('it has no pad_token, and open_clip pads every text to the context length');
  const padId = tokenId(original, padToken);
  if (padId === null) throw bad(`its pad_token '${padToken}' is not in its vocabulary`);
  const trailing = trailingSpecials(original.post_processor);
  if (typeof trailing === 'string') throw bad(trailing);
  if (trailing.length > 1) throw bad(`it ends texts with ${trailing.length} special tokens; only one is put back`);
  const model = original.model as JsonObject | undefined;
  if (!model || !['BPE', 'WordPiece', 'Unigram', 'WordLevel'].includes(String(model.type)))
    throw bad(`its model type ${String(model?.type)} is not one transformers.js runs`);

  const own = original.normalizer;
  const tokenizer: JsonObject = {
    ...original,
    // transformers.js ignores these; open_clip asks for truncation and padding in the call instead
    truncation: null,
    padding: null,
    normalizer: { type: 'Sequence', normalizers: [...cleanNormalizers(options.clean), ...(own ? [own] : [])] },
  };
  // transformers' Gemma tokenizers pad on the left unless the config says otherwise; transformers.js pads right
  const classDefaultLeft = /^Gemma/.test(String(config.tokenizer_class ?? ''));
  const paddingSide =
    typeof config.padding_side === 'string' ? config.padding_side : classDefaultLeft ? 'left' : 'right';
  const tokenizerConfig: JsonObject = {
    ...config,
    ...specials,
    model_max_length: options.contextLength,
    padding_side: paddingSide,
  };
  if (tokenizerConfig.padding_side !== 'right')
    throw bad(`it pads on the ${String(tokenizerConfig.padding_side)}; open_clip's towers read right-padded ids`);
  return {
    files: {
      'tokenizer.json': tokenizer,
      'tokenizer_config.json': tokenizerConfig,
      'special_tokens_map.json': Object.keys(specialTokensMap).length ? specialTokensMap : specials,
    },
    padId,
    endId: trailing[0] ?? null,
  };
}
