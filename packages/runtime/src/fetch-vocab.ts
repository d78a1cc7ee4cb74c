import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultCacheDir, discoverToken, parseRepoId, pullRepo } from '@cliphub/hub';
import { HF_MERGES_FILE, TokenizerError } from '@cliphub/tokenizer';

/** A Hub repo whose merges.txt is CLIP's BPE merges (every openai/clip-* repo ships the same file). */
export const DEFAULT_VOCAB_REPO = 'openai/clip-vit-base-patch32';
const DEFAULT_ENDPOINT = 'https://huggingface.co';

export interface FetchVocabOptions {
  /** where HF_HUB_CACHE, HF_HOME, HF_ENDPOINT, HF_TOKEN, CLIPHUB_VOCAB_REPO and the offline switches are read (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** default $CLIPHUB_VOCAB_REPO, else openai/clip-vit-base-patch32 */
  repo?: string;
  /** default main */
  revision?: string;
  /** default $HF_ENDPOINT, else https://huggingface.co */
  hubUrl?: string;
  /** huggingface_hub's cache root; default $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub */
  cacheDir?: string;
  token?: string;
  /** told once before a download starts (the CLI prints it), never on a cache hit */
  log?: (line: string) => void;
  fetch?: typeof fetch;
}

export interface FetchedVocab {
  bytes: Uint8Array;
  /** the cached file: <cacheDir>/models--ORG--NAME/snapshots/<commit>/merges.txt */
  path: string;
  repo: string;
  commit: string;
  fromCache: boolean;
}

/** The vocab is neither local nor cached, and could not (or must not) be fetched: exit code 2, like any missing vocab. */
export class VocabFetchError extends TokenizerError {
  constructor(
    message: string,
    readonly repo: string,
    readonly cacheDir: string,
    readonly offline: boolean,
  ) {
    super('VOCAB_NOT_FOUND', message);
    this.name = 'VocabFetchError';
  }
}

// huggingface_hub's truthy spellings for HF_HUB_OFFLINE; CLIPHUB_OFFLINE reads the same.
const isTrue = (v: string | undefined): boolean => ['1', 'on', 'yes', 'true'].includes((v ?? '').trim().toLowerCase());

export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return isTrue(env.CLIPHUB_OFFLINE) || isTrue(env.HF_HUB_OFFLINE);
}

/** merges.txt of `revision` if the cache already has it: refs/<revision> names the snapshot, as huggingface_hub lays it out. */
async function fromCache(
  storage: string,
  revision: string,
): Promise<{ file: string; commit: string; bytes: Uint8Array } | null> {
  const commit = /^[0-9a-f]{40}$/.test(revision)
    ? revision
    : (await readFile(path.join(storage, 'refs', revision), 'utf8').catch(() => '')).trim();
  if (!/^[0-9a-f]{40}$/.test(commit)) return null;
  const file = path.join(storage, 'snapshots', commit, HF_MERGES_FILE);
  const bytes = await readFile(file).catch(() => null);
  return bytes ? { file, commit, bytes } : null;
}

/**
 * CLIP's BPE merges from the Hub, fetched once: the huggingface_hub cache (shared with Python) is read first and the
 * network is used only when it lacks the file, so every later run is offline. Only merges.txt is downloaded (checked
 * against its git oid), never the repo's weights. CLIPHUB_OFFLINE=1 or HF_HUB_OFFLINE=1 forbids the network.
 */
export async function fetchBpeVocab(o: FetchVocabOptions = {}): Promise<FetchedVocab> {
  const env = o.env ?? process.env;
  const cacheDir = o.cacheDir ?? defaultCacheDir(env);
  const repoSpec = o.repo ?? (env.CLIPHUB_VOCAB_REPO?.trim() || DEFAULT_VOCAB_REPO);
  let repo: string;
  try {
    repo = parseRepoId(repoSpec);
  } catch (e) {
    throw new VocabFetchError(
      `CLIPHUB_VOCAB_REPO ${JSON.stringify(repoSpec)} is not a repo id (${(e as Error).message}); use ORG/NAME, e.g. ${DEFAULT_VOCAB_REPO}`,
      repoSpec,
      cacheDir,
      false,
    );
  }
  const revision = o.revision ?? 'main';
  const storage = path.join(cacheDir, `models--${repo.replace('/', '--')}`);
  const hit = await fromCache(storage, revision);
  if (hit) return { bytes: hit.bytes, path: hit.file, repo, commit: hit.commit, fromCache: true };

  const alternatives = `pass --vocab FILE (bpe_simple_vocab_16e6.txt.gz or a CLIP merges.txt), put one in the model dir${
    env.CLIPHUB_VOCAB_REPO?.trim() ? ', or unset CLIPHUB_VOCAB_REPO to use the vocab bundled with cliphub' : ''
  }`;
  if (isOffline(env)) {
    throw new VocabFetchError(
      `no local CLIP BPE vocab, ${repo}'s ${HF_MERGES_FILE} is not in the Hub cache ${cacheDir}, and CLIPHUB_OFFLINE/HF_HUB_OFFLINE forbids fetching it; pass its path: ${alternatives}, or run once online`,
      repo,
      cacheDir,
      true,
    );
  }
  const hubUrl = (o.hubUrl ?? (env.HF_ENDPOINT?.trim() || DEFAULT_ENDPOINT)).replace(/\/+$/, '');
  o.log?.(
    `fetching CLIP's BPE merges (${HF_MERGES_FILE}) from ${repo} at ${hubUrl} into ${cacheDir} (once; later runs read the cache)`,
  );
  let failure: string;
  try {
    const r = await pullRepo({
      repo,
      revision,
      hubUrl,
      token: o.token ?? discoverToken(env),
      cacheDir,
      paths: [HF_MERGES_FILE],
      ...(o.fetch && { fetch: o.fetch }),
    });
    if (r.files.some((f) => f.path === HF_MERGES_FILE)) {
      const file = path.join(r.snapshotDir, HF_MERGES_FILE);
      return { bytes: await readFile(file), path: file, repo, commit: r.commit, fromCache: false };
    }
    failure = `${repo}@${r.commit.slice(0, 12)} has no ${HF_MERGES_FILE}; point CLIPHUB_VOCAB_REPO at a CLIP repo such as ${DEFAULT_VOCAB_REPO}`;
  } catch (e) {
    // another process may have filled the cache meanwhile (its rename won the race)
    const raced = await fromCache(storage, revision);
    if (raced) return { bytes: raced.bytes, path: raced.file, repo, commit: raced.commit, fromCache: true };
    failure = (e as Error).message?.split('\n')[0] ?? String(e);
  }
  throw new VocabFetchError(
    `no local CLIP BPE vocab, and fetching ${HF_MERGES_FILE} from ${repo} at ${hubUrl} into the Hub cache ${cacheDir} failed: ${failure}; ${alternatives}`,
    repo,
    cacheDir,
    false,
  );
}

/** loadModel's default `fetchVocab`: fetchBpeVocab's bytes (SimpleTokenizer calls it only when no local vocab exists). */
export function defaultVocabFetcher(o: FetchVocabOptions = {}): () => Promise<Uint8Array> {
  return async () => (await fetchBpeVocab(o)).bytes;
}
