import { gunzipSync } from 'node:zlib';
import { TokenizerError } from './errors.js';

/** The CLIP byte-level BPE tables built from `bpe_simple_vocab_16e6.txt.gz`. */
export interface BpeVocab {
  /** token string -> id (49408 entries for CLIP: 512 byte symbols, 48894 merges, SOT, EOT) */
  encoder: Map<string, number>;
  /** "first second" -> merge rank */
  ranks: Map<string, number>;
  /** byte value -> its printable stand-in character */
  byteEncoder: string[];
}

const MERGE_COUNT = 49152 - 256 - 2;

/** GPT-2's reversible map from bytes to printable characters, so BPE never sees whitespace or controls. */
export function bytesToUnicode(): string[] {
  const out: string[] = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    out[b] = String.fromCharCode(printable ? b : 256 + n++);
  }
  return out;
}

/** Parses the gzipped merges file (bytes) into the tokenizer's tables, exactly as open_clip builds them. */
export function parseBpeVocab(gz: Uint8Array, source = 'the BPE vocab'): BpeVocab {
  let lines: string[];
  try {
    lines = gunzipSync(gz).toString('utf8').split('\n');
  } catch (e) {
    throw new TokenizerError('VOCAB_INVALID', `${source} is not a gzip file (${(e as Error).message}); pass bpe_simple_vocab_16e6.txt.gz`);
  }
  // Line 0 is a version header; open_clip keeps exactly the next 48894 merges.
  const merges = lines.slice(1, MERGE_COUNT + 1).map((l) => l.split(/\s+/).filter(Boolean));
  if (merges.length !== MERGE_COUNT || merges.some((m) => m.length !== 2)) {
    throw new TokenizerError('VOCAB_INVALID', `${source} does not hold ${MERGE_COUNT} BPE merges; pass bpe_simple_vocab_16e6.txt.gz from open_clip`);
  }
  const byteEncoder = bytesToUnicode();
  // Vocab order: the byte symbols in bytes_to_unicode's order, the same with '</w>', the merges, the specials.
  const order: string[] = [];
  for (let b = 0x21; b <= 0x7e; b++) order.push(String.fromCharCode(b));
  for (let b = 0xa1; b <= 0xac; b++) order.push(String.fromCharCode(b));
  for (let b = 0xae; b <= 0xff; b++) order.push(String.fromCharCode(b));
  for (let i = 0; i < 68; i++) order.push(String.fromCharCode(256 + i));
  const vocab = [...order, ...order.map((v) => `${v}</w>`)];
  const ranks = new Map<string, number>();
  merges.forEach(([a, b], i) => {
    vocab.push(`${a}${b}`);
    ranks.set(`${a} ${b}`, i);
  });
  vocab.push('<start_of_text>', '<end_of_text>');
  const encoder = new Map<string, number>();
  vocab.forEach((v, i) => encoder.set(v, i));
  return { encoder, ranks, byteEncoder };
}
