import { TokenizerError } from './errors.js';
import { CLIP_MERGES_SHA256, parseMergesFile } from './merges-file.js';

/** The CLIP byte-level BPE tables built from `bpe_simple_vocab_16e6.txt.gz`. */
export interface BpeVocab {
  /** token string -> id (49408 entries for CLIP: 512 byte symbols, 48894 merges, SOT, EOT) */
  encoder: Map<string, number>;
  /** "first second" -> merge rank */
  ranks: Map<string, number>;
  /** byte value -> its printable stand-in character */
  byteEncoder: string[];
}

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

/**
 * Builds the tokenizer's tables, exactly as open_clip does, from either CLIP merges file: open_clip's
 * `bpe_simple_vocab_16e6.txt.gz` or a Hugging Face `merges.txt` (see parseMergesFile). A merges.txt must hold CLIP's
 * own merges (checked by fingerprint): the format is shared by every byte-level BPE, and open_clip's SimpleTokenizer
 * never uses other merges.
 */
export function parseBpeVocab(bytes: Uint8Array, source = 'the BPE vocab'): BpeVocab {
  const { format, merges, sha256 } = parseMergesFile(bytes, source);
  if (format === 'hf-merges-txt' && sha256 !== CLIP_MERGES_SHA256) {
    throw new TokenizerError(
      'VOCAB_INVALID',
      `${source} holds another tokenizer's merges, not CLIP's (sha256 ${sha256.slice(0, 12)}…); use a CLIP repo's merges.txt or bpe_simple_vocab_16e6.txt.gz`,
    );
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
