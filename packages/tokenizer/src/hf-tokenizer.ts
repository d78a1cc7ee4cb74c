import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { cleanText, type CleanMode } from './clean.js';
import { TokenizerError } from './errors.js';
import { checkContextLength, type TokenizedBatch } from './simple-tokenizer.js';

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
  if (v && typeof v === 'object' && typeof (v as JsonObject).content === 'string') return (v as JsonObject).content as string;
  return null;
}

// Rust tokenizers lowercase char by char (Σ → σ); the JS port uses String#toLowerCase, whose Final_Sigma rule
// gives ς at a word's end and so a different token. A Replace Σ → σ ahead of each lowercasing step restores the
// Rust result: no later step before the lowercase makes a new Σ, and σ is already lowercase.
const SIGMA = { type: 'Replace', pattern: { String: '\u03a3' }, content: '\u03c3' };
function charwiseLowercase(n: unknown): unknown {
  if (!n || typeof n !== 'object') return n;
  const norm = n as JsonObject;
  if (norm.type === 'Sequence' && Array.isArray(norm.normalizers)) return { ...norm, normalizers: norm.normalizers.map(charwiseLowercase) };
  if (norm.type === 'Lowercase' || (norm.type === 'BertNormalizer' && norm.lowercase === true)) return { type: 'Sequence', normalizers: [SIGMA, norm] };
  return norm;
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
      return name === null ? null : tok.token_to_id(name) ?? null;
    };
    const pad = id('pad_token');
    if (pad === null) {
      throw new TokenizerError('HF_TOKENIZER_INVALID', 'tokenizer_config.json names no pad_token in the vocab; open_clip pads to the context, so add one');
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
        text = await readFile(file, 'utf8');
      } catch {
        if (!required) return {};
        throw new TokenizerError('HF_TOKENIZER_INVALID', `${file} not found; the model dir needs the tokenizer's ${name}`);
      }
      try {
        const v: unknown = JSON.parse(text);
        if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
        return v as JsonObject;
      } catch (e) {
        throw new TokenizerError('HF_TOKENIZER_INVALID', `${file} is not valid JSON (${(e as Error).message}); re-download it`);
      }
    };
    const json = await read('tokenizer.json', true);
    const config = await read('tokenizer_config.json', false);
    let tok: Tokenizer;
    try {
      tok = new Tokenizer('normalizer' in json ? { ...json, normalizer: charwiseLowercase(json.normalizer) } : json, config);
    } catch (e) {
      throw new TokenizerError('HF_TOKENIZER_INVALID', `${path.join(dir, 'tokenizer.json')} cannot be loaded (${(e as Error).message}); check that it is a Hugging Face tokenizer.json`);
    }
    return new HfTokenizer(tok, config, opts.contextLength ?? 77, opts.clean ?? 'whitespace', opts.stripSepToken ?? false);
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
    checkContextLength(contextLength);
    const list = typeof texts === 'string' ? [texts] : texts;
    const out = new BigInt64Array(list.length * contextLength);
    let truncated = 0;
    list.forEach((text, row) => {
      const r = this.encodeTruncated(text, contextLength);
      if (r.truncated) truncated++;
      const pad = contextLength - r.ids.length;
      const ids = this.padLeft ? [...new Array<number>(pad).fill(this.padTokenId), ...r.ids] : [...r.ids, ...new Array<number>(pad).fill(this.padTokenId)];
      ids.forEach((id, i) => {
        out[row * contextLength + i] = BigInt(this.stripSepToken && id === this.sepTokenId ? 0 : id);
      });
    });
    return { ids: out, count: list.length, contextLength, truncated };
  }
}
