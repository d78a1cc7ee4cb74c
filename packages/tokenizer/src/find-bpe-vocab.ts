import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

export const BPE_VOCAB_FILE = 'bpe_simple_vocab_16e6.txt.gz';
/** The same merges as Hugging Face CLIP repos ship them (parseBpeVocab reads both). */
export const HF_MERGES_FILE = 'merges.txt';

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

/**
 * Where the CLIP BPE vocab can be found without downloading: the model's own directory first (open_clip's gz, else
 * an HF-style merges.txt, which parseBpeVocab checks is CLIP's), then an installed open_clip Python package (active
 * venv/conda, system and user site-packages, PYTHONPATH).
 */
export function findBpeVocab(modelDir?: string): string | null {
  const candidates: string[] = [];
  if (modelDir) candidates.push(path.join(modelDir, BPE_VOCAB_FILE), path.join(modelDir, HF_MERGES_FILE));
  for (const site of sitePackagesDirs()) candidates.push(path.join(site, 'open_clip', BPE_VOCAB_FILE));
  return candidates.find((c) => existsSync(c)) ?? null;
}
