import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BPE_VOCAB_FILE = 'bpe_simple_vocab_16e6.txt.gz';
/** The same merges as Hugging Face CLIP repos ship them (parseBpeVocab reads both). */
export const HF_MERGES_FILE = 'merges.txt';

/**
 * open_clip 3.3.0's CLIP BPE vocab, shipped in this package (`vocab/`, MIT, OpenAI and the OpenCLIP authors; see
 * vocab/NOTICE.txt), so CLIP text works with no network and no Python. The path holds from src/ and dist/ alike.
 */
export const BUNDLED_BPE_VOCAB: string = fileURLToPath(new URL(`../vocab/${BPE_VOCAB_FILE}`, import.meta.url));
/** sha256 of the bundled file, byte-identical to open_clip 3.3.0's. */
export const BUNDLED_BPE_VOCAB_SHA256 = '924691ac288e54409236115652ad4aa250f48203de50a9e4722a6ecd48d6804a';

function sitePackagesDirs(): string[] {
  const roots = new Set<string>();
  const fromEnv = [process.env.VIRTUAL_ENV, process.env.CONDA_PREFIX].filter((v): v is string => !!v);
  for (const prefix of [...fromEnv, '/usr', '/usr/local', path.join(homedir(), '.local')]) {
    for (const lib of ['lib', 'lib64']) {
      const dir = path.join(prefix, lib);
      if (!existsSync(dir)) continue;
      for (const py of readdirSync(dir)) {
        if (!py.startsWith('python3')) continue;
        for (const sub of ['site-packages', 'dist-packages']) roots.add(path.join(dir, py, sub));
      }
    }
  }
  for (const p of (process.env.PYTHONPATH ?? '').split(path.delimiter)) if (p) roots.add(p);
  return [...roots];
}

export interface FindBpeVocabOptions {
  /** consider the vocab shipped in this package (default true) */
  bundled?: boolean;
}

/**
 * Where the CLIP BPE vocab is found without downloading, in order: the model's own directory (open_clip's gz, else an
 * HF-style merges.txt, which parseBpeVocab checks is CLIP's); the vocab bundled with this package; an installed
 * open_clip Python package (active venv/conda, system and user site-packages, PYTHONPATH), which matters only when the
 * bundled file is turned off or was stripped from an install.
 */
export function findBpeVocab(modelDir?: string, opts: FindBpeVocabOptions = {}): string | null {
  const candidates: string[] = [];
  if (modelDir) candidates.push(path.join(modelDir, BPE_VOCAB_FILE), path.join(modelDir, HF_MERGES_FILE));
  if (opts.bundled ?? true) candidates.push(BUNDLED_BPE_VOCAB);
  for (const site of sitePackagesDirs()) candidates.push(path.join(site, 'open_clip', BPE_VOCAB_FILE));
  return candidates.find((c) => existsSync(c)) ?? null;
}
