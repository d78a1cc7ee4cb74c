import { BUNDLED_BPE_VOCAB } from '../find-bpe-vocab.js';

// The vocab shipped in this package; bundled-vocab.test.ts checks it byte for byte against open_clip 3.3.0's copy.
export const testVocabPath: string | null = BUNDLED_BPE_VOCAB;
