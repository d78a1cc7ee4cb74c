import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The Hub token, found the way huggingface_hub finds it: HF_TOKEN, else $HF_TOKEN_PATH,
 * else $HF_HOME/token, else ~/.cache/huggingface/token. Undefined when none is set.
 */
export function discoverToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = env.HF_TOKEN?.trim();
  if (direct) return direct;
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface');
  const file = env.HF_TOKEN_PATH || path.join(home, 'token');
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** huggingface_hub's cache root: HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  const home = env.HF_HOME || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'huggingface');
  return path.join(home, 'hub');
}
