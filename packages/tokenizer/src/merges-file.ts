import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { TokenizerError } from './errors.js';

/** How many merges CLIP keeps: 49152 BPE tokens less 256 byte symbols less 2 specials (open_clip and CLIPTokenizer both slice this many). */
export const CLIP_MERGE_COUNT = 49152 - 256 - 2;

/**
 * sha256 of CLIP's 48,894 merges written one `first second\n` per line: a fingerprint, so a merges.txt from
 * another tokenizer (same format, other merges) is refused instead of silently giving wrong ids.
 */
export const CLIP_MERGES_SHA256 = 'd308b7377a8ceaa9707a21614fe8c831b9196e197b7aeb69833359362907af02';

export type MergesFormat = 'open_clip-gz' | 'hf-merges-txt';

/** A parsed BPE merge list, in rank order. */
export interface BpeMerges {
  format: MergesFormat;
  merges: Array<readonly [string, string]>;
  /** sha256 of the merges as `first second\n` lines (compare with CLIP_MERGES_SHA256) */
  sha256: string;
}

/**
 * Reads CLIP's merges from either file that carries them: open_clip's `bpe_simple_vocab_16e6.txt.gz` (gzip; line 0 is
 * a header, and open_clip keeps the next 48,894 of its 262,144 merges) or a Hugging Face `merges.txt` (plain text; an
 * optional `#version` header, then one merge per line), as in `openai/clip-vit-base-patch32`.
 */
export function parseMergesFile(bytes: Uint8Array, source = 'the BPE vocab'): BpeMerges {
  const gzip = bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
  let text: string;
  try {
    text = gzip ? gunzipSync(bytes).toString('utf8') : new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (e) {
    throw new TokenizerError(
      'VOCAB_INVALID',
      `${source} is neither a readable gzip nor UTF-8 text (${(e as Error).message}); pass bpe_simple_vocab_16e6.txt.gz or a CLIP merges.txt`,
    );
  }
  const lines = text.split('\n');
  // open_clip drops line 0 of the gz unconditionally; tokenizers' BPE.read_file drops a merges.txt line 0 only
  // when it is a `#version` header, so a header-less merges.txt keeps its first merge.
  const first = gzip || lines[0]?.startsWith('#version') ? 1 : 0;
  const merges: Array<readonly [string, string]> = [];
  const hash = createHash('sha256');
  for (let i = first; i < lines.length && merges.length < CLIP_MERGE_COUNT; i++) {
    const line = lines[i] as string;
    const parts = line.split(/\s+/).filter(Boolean);
    if (parts.length === 0 && i === lines.length - 1) break; // the final newline
    if (parts.length !== 2) {
      throw new TokenizerError(
        'VOCAB_INVALID',
        `${source} line ${i + 1} is not a merge ("first second"): ${JSON.stringify(line.slice(0, 60))}; pass a CLIP BPE vocab`,
      );
    }
    merges.push([parts[0] as string, parts[1] as string]);
    hash.update(`${parts[0]} ${parts[1]}\n`);
  }
  if (merges.length !== CLIP_MERGE_COUNT) {
    throw new TokenizerError(
      'VOCAB_INVALID',
      `${source} holds ${merges.length} BPE merges, CLIP needs ${CLIP_MERGE_COUNT}; pass bpe_simple_vocab_16e6.txt.gz or a CLIP merges.txt`,
    );
  }
  return { format: gzip ? 'open_clip-gz' : 'hf-merges-txt', merges, sha256: hash.digest('hex') };
}
