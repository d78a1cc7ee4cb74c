import { TokenizerError } from './errors.js';
import { serdeJsonF64 } from './serde-json-f64.js';

/** One token of a word: its id and the vocab entry that id names. */
export interface UnigramToken {
  id: number;
  value: string;
}

// tokenizers' K_UNK_PENALTY: an unknown character scores this far below the worst piece.
const UNK_PENALTY = 10;

/**
 * The Unigram model of Hugging Face `tokenizers` (Rust), token for token: the best-path search over the vocab with
 * its scores (`encode_optimized`), one unknown piece per character without a single-character entry scored
 * `min score - 10`, adjacent unknown pieces fused, `byte_fallback` to `<0xXX>` pieces. Ties go as in Rust: for each
 * end position the first start (leftmost) keeps it unless a later one is strictly better, in f64.
 */
export class UnigramModel {
  readonly minScore: number;
  readonly unkScore: number;
  private readonly ids = new Map<string, number>();
  // Trie over code points: children per node, and the id a node spells (-1: none).
  private readonly children: (Map<number, number> | undefined)[] = [undefined];
  private readonly nodeId: number[] = [-1];
  // Per-call buffers, grown as longer words come.
  private best = new Float64Array(64);
  private from = new Int32Array(64);
  private endId = new Int32Array(64);
  private cps = new Int32Array(64);
  private offs = new Int32Array(64);

  /** `vocab`: [piece, score] with the f64 scores Rust holds (see `fromJson` for a tokenizer.json's). */
  constructor(
    private readonly vocab: readonly (readonly [string, number])[],
    readonly unkId: number | null,
    readonly byteFallback = false,
  ) {
    if (unkId !== null && (vocab.length === 0 || !Number.isInteger(unkId) || unkId < 0 || unkId >= vocab.length)) {
      throw new TokenizerError(
        'HF_TOKENIZER_INVALID',
        `Unigram unk_id ${unkId} is not an index into its ${vocab.length}-piece vocab; fix tokenizer.json's model.unk_id`,
      );
    }
    let min = Infinity;
    vocab.forEach(([piece, score], id) => {
      // Rust's HashMap insert: a repeated piece maps to its last id, in the map and the trie alike.
      this.ids.set(piece, id);
      this.insert(piece, id);
      if (score < min) min = score;
    });
    this.minScore = min;
    this.unkScore = min - UNK_PENALTY;
  }

  /** From tokenizer.json's `model` object (`type: 'Unigram'`), with its scores as tokenizers reads them. */
  static fromJson(model: unknown): UnigramModel {
    const bad = (what: string) =>
      new TokenizerError('HF_TOKENIZER_INVALID', `tokenizer.json's Unigram model ${what}; re-export the tokenizer`);
    if (!model || typeof model !== 'object') throw bad('is not an object');
    const m = model as Record<string, unknown>;
    if (!Array.isArray(m.vocab)) throw bad('has no vocab array');
    const vocab = m.vocab.map((entry: unknown, i): [string, number] => {
      if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')
        throw bad(`vocab entry ${i} is not [piece, score]`);
      return [entry[0], serdeJsonF64(entry[1])];
    });
    const unk = m.unk_id ?? null;
    if (unk !== null && typeof unk !== 'number') throw bad('unk_id is not a number');
    if (m.byte_fallback !== undefined && typeof m.byte_fallback !== 'boolean')
      throw bad('byte_fallback is not a boolean');
    return new UnigramModel(vocab, unk, m.byte_fallback ?? false);
  }

  get size(): number {
    return this.vocab.length;
  }

  tokenToId(piece: string): number | undefined {
    return this.ids.get(piece);
  }

  idToToken(id: number): string | undefined {
    return this.vocab[id]?.[0];
  }

  private insert(piece: string, id: number): void {
    let node = 0;
    for (const ch of piece) {
      const cp = ch.codePointAt(0) as number;
      let kids = this.children[node];
      if (!kids) this.children[node] = kids = new Map();
      let next = kids.get(cp);
      if (next === undefined) {
        next = this.nodeId.length;
        kids.set(cp, next);
        this.children.push(undefined);
        this.nodeId.push(-1);
      }
      node = next;
    }
    // The empty piece stays unmatched, as Rust's trie only reports a match after a byte.
    if (node !== 0) this.nodeId[node] = id;
  }

  private grow(n: number): void {
    if (this.best.length > n) return;
    const size = Math.max(n + 1, this.best.length * 2);
    this.best = new Float64Array(size);
    this.from = new Int32Array(size);
    this.endId = new Int32Array(size);
    this.cps = new Int32Array(size);
    this.offs = new Int32Array(size + 1);
  }

  /** The pieces of one pre-tokenized word (Rust `Unigram::encode`): unknown characters fused into one piece per run. */
  encode(word: string): string[] {
    if (word.length === 0) return [];
    this.grow(word.length);
    const { cps, offs } = this;
    let n = 0;
    for (let i = 0; i < word.length; n++) {
      const cp = word.codePointAt(i) as number;
      cps[n] = cp;
      offs[n] = i;
      i += cp > 0xffff ? 2 : 1;
    }
    offs[n] = word.length;
    const { best, from, endId } = this;
    // Rust's BestPathNode default: score 0, no start; an unreached start would read that 0.
    best.fill(0, 0, n + 1);
    from.fill(-1, 0, n + 1);
    for (let start = 0; start < n; start++) {
      const base = best[start] as number;
      let single = false;
      let node = 0;
      for (let at = start; at < n; at++) {
        const next = this.children[node]?.get(cps[at] as number);
        if (next === undefined) break;
        node = next;
        const id = this.nodeId[node] as number;
        if (id < 0) continue;
        const end = at + 1;
        const score = (this.vocab[id] as readonly [string, number])[1] + base;
        // Strictly better only: an equal path from a later start never displaces the first.
        if ((from[end] as number) < 0 || score > (best[end] as number)) {
          best[end] = score;
          from[end] = start;
          endId[end] = id;
        }
        if (end === start + 1) single = true;
      }
      if (!single) {
        const end = start + 1;
        const score = this.unkScore + base;
        if ((from[end] as number) < 0 || score > (best[end] as number)) {
          if (this.unkId === null) throw this.missingUnk(cps[start] as number);
          best[end] = score;
          from[end] = start;
          endId[end] = this.unkId;
        }
      }
    }
    const pieces: string[] = [];
    let unkRunStart = -1;
    for (let end = n; end > 0;) {
      const start = from[end] as number;
      if (this.unkId !== null && endId[end] === this.unkId) {
        // fuse_unk (always on in tokenizers' Unigram): a run of unknown pieces becomes one piece.
        if (unkRunStart < 0) unkRunStart = end;
      } else {
        if (unkRunStart >= 0) pieces.push(word.slice(offs[end], offs[unkRunStart]));
        unkRunStart = -1;
        pieces.push(word.slice(offs[start], offs[end]));
      }
      end = start;
    }
    if (unkRunStart >= 0) pieces.push(word.slice(0, offs[unkRunStart]));
    return pieces.reverse();
  }

  /** Ids of one pre-tokenized word (Rust `Unigram::tokenize`): a piece outside the vocab is its bytes with `byte_fallback`, else unk. */
  tokenize(word: string): UnigramToken[] {
    const out: UnigramToken[] = [];
    for (const piece of this.encode(word)) {
      const id = this.ids.get(piece);
      if (id !== undefined) {
        out.push({ id, value: piece });
        continue;
      }
      if (this.byteFallback) {
        const bytes = [...new TextEncoder().encode(piece)].map(
          (b) => `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`,
        );
        const byteIds = bytes.map((b) => this.ids.get(b));
        // all bytes or none, as Rust's collect into Option
        if (byteIds.every((b) => b !== undefined)) {
          byteIds.forEach((b, i) => out.push({ id: b, value: bytes[i] as string }));
          continue;
        }
      }
      if (this.unkId === null) throw this.missingUnk(piece.codePointAt(0) ?? 0);
      out.push({ id: this.unkId, value: this.vocab[this.unkId]?.[0] as string });
    }
    return out;
  }

  private missingUnk(cp: number): TokenizerError {
    const hex = cp.toString(16).toUpperCase().padStart(4, '0');
    return new TokenizerError(
      'HF_TOKENIZER_INVALID',
      `the text has U+${hex}, which the Unigram vocab lacks, and tokenizer.json's model has no unk_id; add one or drop the character`,
    );
  }
}
