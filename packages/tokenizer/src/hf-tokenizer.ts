import path from 'node:path';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile, type CliphubError, type SmallFileErrorCode } from '@cliphub/core';
import * as hf from '@huggingface/tokenizers';
import { Tokenizer } from '@huggingface/tokenizers';
import { cleanText, type CleanMode } from './clean.js';
import { TokenizerError } from './errors.js';
import { checkContextLength, tokenizeBatch, type TokenizedBatch } from './simple-tokenizer.js';
import { UnigramModel } from './unigram-model.js';

/** tokenizer.json above this is refused: the largest open_clip tokenizer (XLM-V, 0.9 M pieces) is far below it. */
const MAX_TOKENIZER_JSON_BYTES = 256 * 1024 * 1024;

export interface HfTokenizerOptions {
  contextLength?: number;
  /** open_clip's HFTokenizer default is 'whitespace' (case kept) */
  clean?: CleanMode;
  /** zero out the sep token, as open_clip's `strip_sep_token` */
  stripSepToken?: boolean;
}

type JsonObject = Record<string, unknown>;

// tokenizer_config.json names special tokens either as a string or as an AddedToken object.
function tokenName(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as JsonObject).content === 'string')
    return (v as JsonObject).content as string;
  return null;
}

// Rust tokenizers lowercase char by char (Σ → σ); the JS port uses String#toLowerCase, whose Final_Sigma rule
// gives ς at a word's end and so a different token. A Replace Σ → σ ahead of each lowercasing step restores the
// Rust result: no later step before the lowercase makes a new Σ, and σ is already lowercase.
const SIGMA = { type: 'Replace', pattern: { String: '\u03a3' }, content: '\u03c3' };
function charwiseLowercase(n: unknown): unknown {
  if (!n || typeof n !== 'object') return n;
  const norm = n as JsonObject;
  if (norm.type === 'Sequence' && Array.isArray(norm.normalizers))
    return { ...norm, normalizers: norm.normalizers.map(charwiseLowercase) };
  if (norm.type === 'Lowercase' || (norm.type === 'BertNormalizer' && norm.lowercase === true))
    return { type: 'Sequence', normalizers: [SIGMA, norm] };
  return norm;
}

// What the library's Tokenizer uses of its model: it calls it on the pre-tokenized words and maps the returned strings
// to ids. Its own declarations for `Model` do not resolve under NodeNext, so the shape is stated here.
interface LibModel {
  (words: string[]): string[];
  config: unknown;
  vocab: string[];
  tokens_to_ids: Map<string, number>;
  unk_token_id?: number;
  unk_token?: string;
  fuse_unk: boolean;
}
const { Model } = hf as unknown as { Model: abstract new (config: unknown) => LibModel };

// @huggingface/tokenizers' own Unigram settles float near-ties (`ii`+`i` vs `i`+`ii`) unlike Rust, reads scores
// with JSON.parse's exact rounding rather than serde_json's, and has no byte_fallback. This stands in for it as the
// Tokenizer's model: the library's normalizer, pre-tokenizer, added tokens and post-processor stay as they are.
class RustUnigram extends Model {
  constructor(
    private readonly unigram: UnigramModel,
    lib: LibModel,
  ) {
    super(lib.config);
    // The library's maps already hold the added tokens; ids are looked up there from the strings returned below.
    this.vocab = lib.vocab;
    this.tokens_to_ids = lib.tokens_to_ids;
    this.unk_token_id = unigram.unkId ?? undefined;
    this.unk_token = unigram.unkId === null ? undefined : unigram.idToToken(unigram.unkId);
    // unknown runs are fused per word inside UnigramModel, as Rust does, not across words
    this.fuse_unk = false;
  }

  // Each token as the vocab string of its id (the unk piece as the unk token), so the library maps it back to that id.
  encode(words: string[]): string[] {
    return words.flatMap((w) => this.unigram.tokenize(w).map((t) => t.value));
  }
}

// Rust's Metaspace (`split`, on unless false) cuts the text before each replacement char, so the model runs per word;
// the JS port ignores `split` and hands the model whole sentences, where Unigram path scores then sum across words
// and float near-ties fall differently. An inverted Split whose matches are the words (each replacement char with the
// text up to the next one, and any text before the first) restores Rust's MergedWithNext pieces.
function metaspaceSplit(p: unknown): unknown {
  if (!p || typeof p !== 'object') return p;
  const pre = p as JsonObject;
  if (pre.type === 'Sequence' && Array.isArray(pre.pretokenizers))
    return { ...pre, pretokenizers: pre.pretokenizers.map(metaspaceSplit) };
  if (pre.type !== 'Metaspace' || pre.split === false) return pre;
  const rep = typeof pre.replacement === 'string' ? pre.replacement : '\u2581';
  const c = rep.replace(/[\\^$.*+?()[\]{}|-]/g, '\\$&');
  return {
    type: 'Sequence',
    pretokenizers: [
      pre,
      { type: 'Split', pattern: { Regex: `${c}[^${c}]*|[^${c}]+` }, behavior: 'MergedWithNext', invert: true },
    ],
  };
}

const sameIds = (a: readonly number[], at: number, b: readonly number[]): boolean => b.every((x, i) => a[at + i] === x);

/**
 * open_clip's HFTokenizer over a local tokenizer.json (SigLIP, SigLIP2, MetaCLIP2, ...): its text cleaning,
 * then `max_length` truncation that keeps the special tokens and padding to the context, like transformers.
 */
export class HfTokenizer {
  readonly padTokenId: number;
  readonly sepTokenId: number | null;
  private readonly truncateLeft: boolean;
  private readonly padLeft: boolean;

  constructor(
    private readonly tok: Tokenizer,
    config: JsonObject,
    readonly contextLength = 77,
    readonly clean: CleanMode = 'whitespace',
    readonly stripSepToken = false,
  ) {
    checkContextLength(contextLength);
    const id = (key: string): number | null => {
      const name = tokenName(config[key]);
      return name === null ? null : (tok.token_to_id(name) ?? null);
    };
    const pad = id('pad_token');
    if (pad === null) {
      throw new TokenizerError(
        'HF_TOKENIZER_INVALID',
        'tokenizer_config.json names no pad_token in the vocab; open_clip pads to the context, so add one',
      );
    }
    this.padTokenId = pad;
    this.sepTokenId = id('sep_token');
    this.truncateLeft = config.truncation_side === 'left';
    this.padLeft = config.padding_side === 'left';
  }

  /** Loads tokenizer.json and tokenizer_config.json from a model or tokenizer directory. */
  static async fromDir(dir: string, opts: HfTokenizerOptions = {}): Promise<HfTokenizer> {
    const read = async (name: string, required: boolean): Promise<JsonObject> => {
      const file = path.join(dir, name);
      let text: string;
      try {
        text = readSmallTextFile(
          file,
          name === 'tokenizer.json' ? MAX_TOKENIZER_JSON_BYTES : MAX_CONFIG_FILE_BYTES,
          name,
        );
      } catch (e) {
        if ((e as CliphubError<SmallFileErrorCode>).code !== 'UNREADABLE')
          throw new TokenizerError(
            'HF_TOKENIZER_INVALID',
            `${(e as Error).message.replace(/; [^;]*$/, '')}; re-download it`,
          );
        if (!required) return {};
        throw new TokenizerError(
          'HF_TOKENIZER_INVALID',
          `${file} not found; the model dir needs the tokenizer's ${name}`,
        );
      }
      try {
        const v: unknown = JSON.parse(text);
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
        return v as JsonObject;
      } catch (e) {
        throw new TokenizerError(
          'HF_TOKENIZER_INVALID',
          `${file} is not valid JSON (${(e as Error).message}); re-download it`,
        );
      }
    };
    const json = await read('tokenizer.json', true);
    const config = await read('tokenizer_config.json', false);
    let tok: Tokenizer;
    try {
      const spec = { ...json };
      if ('normalizer' in json) spec.normalizer = charwiseLowercase(json.normalizer);
      if ('pre_tokenizer' in json) spec.pre_tokenizer = metaspaceSplit(json.pre_tokenizer);
      tok = new Tokenizer(spec, config);
    } catch (e) {
      throw new TokenizerError(
        'HF_TOKENIZER_INVALID',
        `${path.join(dir, 'tokenizer.json')} cannot be loaded (${(e as Error).message}); check that it is a Hugging Face tokenizer.json`,
      );
    }
    const model = json.model as JsonObject | undefined;
    const lib = tok.model as LibModel | null;
    if (model?.type === 'Unigram' && lib) tok.model = new RustUnigram(UnigramModel.fromJson(model), lib);
    return new HfTokenizer(
      tok,
      config,
      opts.contextLength ?? 77,
      opts.clean ?? 'whitespace',
      opts.stripSepToken ?? false,
    );
  }

  /** Ids of one cleaned text with the tokenizer's special tokens, content cut so the whole fits `max`. */
  encodeTruncated(text: string, max: number): { ids: number[]; truncated: boolean } {
    const cleaned = cleanText(text, this.clean);
    const full = this.tok.encode(cleaned).ids;
    if (full.length <= max) return { ids: full, truncated: false };
    // Locate the content inside the post-processed ids to know the special prefix and suffix.
    const content = this.tok.encode(cleaned, { add_special_tokens: false }).ids;
    const extra = full.length - content.length;
    let at = 0;
    while (at <= extra && !sameIds(full, at, content)) at++;
    const keep = Math.max(0, max - extra);
    const kept = this.truncateLeft ? content.slice(content.length - keep) : content.slice(0, keep);
    return { ids: [...full.slice(0, at), ...kept, ...full.slice(at + content.length)].slice(0, max), truncated: true };
  }

  /** [count, contextLength] ids, padded with the pad token, like open_clip's HFTokenizer.__call__. */
  tokenize(texts: string | readonly string[], contextLength = this.contextLength): TokenizedBatch {
    return tokenizeBatch(texts, contextLength, (text) => {
      const r = this.encodeTruncated(text, contextLength);
      const pad = contextLength - r.ids.length;
      const ids = this.padLeft
        ? [...new Array<number>(pad).fill(this.padTokenId), ...r.ids]
        : [...r.ids, ...new Array<number>(pad).fill(this.padTokenId)];
      return {
        ids: ids.map((id) => (this.stripSepToken && id === this.sepTokenId ? 0 : id)),
        truncated: r.truncated,
      };
    });
  }
}
