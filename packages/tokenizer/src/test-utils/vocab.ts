import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, sharedUpstream } from '#test-support';

// The shared upstream copy (CI), else the oracle venv's open_clip copy (a fresh clone after oracle setup).
const candidates = [
  sharedUpstream ? path.join(sharedUpstream, 'bpe_simple_vocab_16e6.txt.gz') : '',
  path.join(repoRoot, '.oracle/venv/lib/python3.11/site-packages/open_clip/bpe_simple_vocab_16e6.txt.gz'),
].filter(Boolean);
export const testVocabPath: string | null = candidates.find((c) => existsSync(c)) ?? null;
if (!testVocabPath) console.warn('SKIPPED (SimpleTokenizer): no bpe_simple_vocab_16e6.txt.gz in ../shared or the oracle venv');
