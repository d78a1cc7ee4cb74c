import { readFile } from 'node:fs/promises';
import { parseBpeVocab, type BpeVocab } from './bpe-vocab.js';
import { cleanText, type CleanMode } from './clean.js';
import { TokenizerError } from './errors.js';
import { BPE_VOCAB_FILE, BUNDLED_BPE_VOCAB, findBpeVocab } from './find-bpe-vocab.js';

/** A batch of token ids, row-major [count, contextLength], ready to feed an int64 model input. */
export interface TokenizedBatch {
  ids: BigInt64Array;
  count: number;
  contextLength: number;
  /** how many texts were longer than the context and got cut (EOT kept last) */
  truncated: number;
}

export interface SimpleTokenizerOptions {
  /** an explicit bpe_simple_vocab_16e6.txt.gz, or a CLIP merges.txt as Hugging Face repos ship it */
  vocabPath?: string;
  /** a model dir that may hold the vocab file */
  modelDir?: string;
  /**
   * use the CLIP vocab shipped with this package when neither `vocabPath` nor the model dir has one (default true);
   * false lets `fetchVocab` (or an installed open_clip) provide it, e.g. when a vocab repo was named explicitly
   */
  bundledVocab?: boolean;
  /** fetches the vocab bytes (either format) when no local copy is found (e.g. through the Hub client's cache) */
  fetchVocab?: () => Promise<Uint8Array>;
  contextLength?: number;
  clean?: CleanMode;
}

// open_clip's pattern, compiled once: specials, contractions, letter runs, single digits, other runs.
const PATTERN = /<start_of_text>|<end_of_text>|'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/giu;
const utf8 = new TextEncoder();

export function checkContextLength(n: number): number {
  if (!Number.isInteger(n) || n < 2) {
    throw new TokenizerError(
      'BAD_CONTEXT_LENGTH',
      `context length ${n} is invalid; use an integer >= 2 (CLIP models use 77)`,
    );
  }
  return n;
}

/**
 * The [count, contextLength] int64 batch open_clip returns: row i holds encodeRow(texts[i]).ids (at most
 * contextLength of them) and zeros after; `truncated` counts the rows encodeRow says it cut.
 */
export function tokenizeBatch(
  texts: string | readonly string[],
  contextLength: number,
  encodeRow: (text: string) => { ids: readonly number[]; truncated: boolean },
): TokenizedBatch {
  checkContextLength(contextLength);
  const list = typeof texts === 'string' ? [texts] : texts;
  const ids = new BigInt64Array(list.length * contextLength);
  let truncated = 0;
  list.forEach((text, row) => {
    const encoded = encodeRow(text);
    if (encoded.truncated) truncated++;
    encoded.ids.forEach((id, i) => {
      ids[row * contextLength + i] = BigInt(id);
    });
  });
  return { ids, count: list.length, contextLength, truncated };
}

/** open_clip's SimpleTokenizer (CLIP byte-level BPE), id for id. */
export class SimpleTokenizer {
  readonly sotTokenId: number;
  readonly eotTokenId: number;
  readonly vocabSize: number;
  private readonly cache = new Map<string, number[]>();

  constructor(
    private readonly vocab: BpeVocab,
    readonly contextLength = 77,
    readonly clean: CleanMode = 'lower',
  ) {
    checkContextLength(contextLength);
    this.sotTokenId = vocab.encoder.get('<start_of_text>') ?? -1;
    this.eotTokenId = vocab.encoder.get('<end_of_text>') ?? -1;
    this.vocabSize = vocab.encoder.size;
    this.cache.set('<start_of_text>', [this.sotTokenId]);
    this.cache.set('<end_of_text>', [this.eotTokenId]);
  }

  /**
   * Loads the vocab from, in order: an explicit path; the model dir; the vocab bundled with this package; an installed
   * open_clip; the fetcher.
   */
  static async load(opts: SimpleTokenizerOptions = {}): Promise<SimpleTokenizer> {
    let bytes: Uint8Array;
    let source: string;
    const local = opts.vocabPath ?? findBpeVocab(opts.modelDir, { bundled: opts.bundledVocab ?? true });
    if (local) {
      source = local;
      try {
        bytes = await readFile(local);
      } catch (e) {
        throw new TokenizerError(
          'VOCAB_NOT_FOUND',
          `cannot read the BPE vocab ${local} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
        );
      }
    } else if (opts.fetchVocab) {
      source = 'the fetched BPE vocab';
      bytes = await opts.fetchVocab();
    } else {
      throw new TokenizerError(
        'VOCAB_NOT_FOUND',
        `${BPE_VOCAB_FILE} not found (model dir, ${opts.bundledVocab === false ? 'bundled copy turned off' : `@cliphub/tokenizer's bundled copy ${BUNDLED_BPE_VOCAB} is missing; reinstall the package`}, installed open_clip); pass its path (or a CLIP merges.txt), or put it in the model dir`,
      );
    }
    return new SimpleTokenizer(parseBpeVocab(bytes, source), opts.contextLength ?? 77, opts.clean ?? 'lower');
  }

  /** BPE ids of one pre-token (already byte-encoded), merged by rank; memoised since words repeat. */
  private bpe(token: string): number[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const { ranks, encoder } = this.vocab;
    const word = Array.from(token);
    word[word.length - 1] += '</w>';
    while (word.length > 1) {
      let best = Infinity;
      let first = '';
      let second = '';
      for (let i = 0; i < word.length - 1; i++) {
        const r = ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < best) {
          best = r;
          first = word[i] as string;
          second = word[i + 1] as string;
        }
      }
      if (best === Infinity) break;
      // Merge every left-to-right, non-overlapping occurrence of the best pair.
      const merged: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === first && word[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else merged.push(word[i] as string);
      }
      word.splice(0, word.length, ...merged);
    }
    const ids = word.map((w) => {
      const id = encoder.get(w);
      if (id === undefined)
        throw new TokenizerError(
          'VOCAB_INVALID',
          `BPE symbol ${JSON.stringify(w)} is not in the vocab; the vocab file is not CLIP's`,
        );
      return id;
    });
    this.cache.set(token, ids);
    return ids;
  }

  /** Token ids of one text after cleaning, without SOT/EOT. */
  encode(text: string): number[] {
    const out: number[] = [];
    const be = this.vocab.byteEncoder;
    for (const m of cleanText(text, this.clean).matchAll(PATTERN)) {
      let token = '';
      for (const b of utf8.encode(m[0])) token += be[b];
      for (const id of this.bpe(token)) out.push(id);
    }
    return out;
  }

  /** SOT + ids + EOT per text, cut to the context with EOT kept last, zero padded. */
  tokenize(texts: string | readonly string[], contextLength = this.contextLength): TokenizedBatch {
    return tokenizeBatch(texts, contextLength, (text) => {
      const tokens = [this.sotTokenId, ...this.encode(text), this.eotTokenId];
      if (tokens.length <= contextLength) return { ids: tokens, truncated: false };
      tokens.length = contextLength;
      tokens[contextLength - 1] = this.eotTokenId;
      return { ids: tokens, truncated: true };
    });
  }
}
