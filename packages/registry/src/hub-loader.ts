import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { MAX_CONFIG_FILE_BYTES, readSmallJsonFile, readSmallTextFile } from '@cliphub/core';
import { OPEN_CLIP_CONFIG } from './config-file.js';
import { RegistryError } from './errors.js';
import { readCappedBody } from './read-capped-body.js';

/** A refs/REV file holds one 40-hex commit id. */
const MAX_REF_BYTES = 1024;

export type HubConfigLoader = (repo: string, revision?: string) => Promise<unknown>;

/** huggingface_hub's cache root: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub. */
export function hfHubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  return path.join(env.HF_HOME || path.join(homedir(), '.cache', 'huggingface'), 'hub');
}

/** The cached open_clip_config.json of repo@revision in huggingface_hub's layout, or null. */
export function cachedHubFile(
  repo: string,
  revision: string,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): string | null {
  const repoDir = path.join(hfHubCacheDir(env), `models--${repo.replace(/\//g, '--')}`);
  if (!existsSync(repoDir)) return null;
  let commit = revision;
  const ref = path.join(repoDir, 'refs', revision);
  if (!/^[0-9a-f]{40}$/.test(revision)) {
    if (existsSync(ref) && statSync(ref).isFile())
      commit = readSmallTextFile(ref, MAX_REF_BYTES, 'Hugging Face cache ref').trim();
    else return null;
  }
  const candidate = path.join(repoDir, 'snapshots', commit, file);
  return existsSync(candidate) ? candidate : null;
}

/** Snapshot folders of a cached repo (for messages). */
function cachedSnapshots(repo: string, env: NodeJS.ProcessEnv): string[] {
  const dir = path.join(hfHubCacheDir(env), `models--${repo.replace(/\//g, '--')}`, 'snapshots');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/**
 * Default loader for hf-hub: specs: the local huggingface_hub cache first (refs/REV -> snapshot),
 * then `${HF_ENDPOINT}/REPO/resolve/REV/open_clip_config.json`. The Hub client package may replace it.
 */
export function makeDefaultHubConfigLoader(
  env: NodeJS.ProcessEnv = process.env,
  fetchImpl: typeof fetch = fetch,
): HubConfigLoader {
  return async (repo, revision = 'main') => {
    const cached = cachedHubFile(repo, revision, OPEN_CLIP_CONFIG, env);
    if (cached)
      return readSmallJsonFile(
        cached,
        'cached config',
        (reason) =>
          new RegistryError(
            'BAD_CONFIG',
            `${cached} is not valid JSON (${reason}); delete it from the Hugging Face cache to download it again.`,
          ),
      );
    const endpoint = (env.HF_ENDPOINT || 'https://huggingface.co').replace(/\/+$/, '');
    const url = `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${OPEN_CLIP_CONFIG}`;
    let res: Response;
    try {
      res = await fetchImpl(url);
    } catch (e) {
      const snaps = cachedSnapshots(repo, env);
      throw new RegistryError(
        'HUB_UNREACHABLE',
        `could not fetch ${url} (${(e as Error).message}) and the Hugging Face cache has no ${OPEN_CLIP_CONFIG} for ${repo}@${revision}${snaps.length ? ` (cached snapshots: ${snaps.join(', ')})` : ''}; check the network or HF_ENDPOINT.`,
        [],
        1,
      );
    }
    if (res.status === 404 || res.status === 401) {
      throw new RegistryError(
        'NO_CONFIG',
        `hf-hub:${repo}@${revision} has no ${OPEN_CLIP_CONFIG} (HTTP ${res.status}); check the repo name, or that it is an open_clip model.`,
      );
    }
    if (!res.ok)
      throw new RegistryError(
        'HUB_UNREACHABLE',
        `fetching ${url} failed with HTTP ${res.status}; retry later or check HF_ENDPOINT.`,
        [],
        1,
      );
    const text = await readCappedBody(res, MAX_CONFIG_FILE_BYTES);
    if (text === null)
      throw new RegistryError(
        'BAD_CONFIG',
        `${url} sends more than ${MAX_CONFIG_FILE_BYTES >> 20} MiB, more than any ${OPEN_CLIP_CONFIG} holds; check the repo name and HF_ENDPOINT.`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch (e) {
      throw new RegistryError(
        'BAD_CONFIG',
        `${url} is not valid JSON (${(e as Error).message}); the repo's ${OPEN_CLIP_CONFIG} is broken.`,
      );
    }
  };
}
