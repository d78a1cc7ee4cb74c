import { copyFileSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pullRepo, pushFolder } from '@cliphub/hub';
import { createHash } from 'node:crypto';
import { generatedFixtures, hasOracle, pythonJsonAsync, tempDir } from '#test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOKENS, bytes, startTestHub, type TestHub } from './test-utils/server.js';

const tiny = path.join(generatedFixtures, 'models/tiny-vit-gelu');

/** Every file under dir (following the cache's symlinks), as path -> bytes. */
function readTree(dir: string, rel = ''): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) for (const [k, v] of readTree(dir, r)) out.set(k, v);
    else out.set(r, readFileSync(path.join(dir, r)));
  }
  return out;
}

describe('pushFolder / pullRepo against the hub server', () => {
  let hub: TestHub;
  let tmp: { dir: string; cleanup: () => void };
  let model: string;
  const env = (): Record<string, string> => ({
    HF_ENDPOINT: hub.url,
    HF_HUB_DISABLE_XET: '1',
    HF_TOKEN: TOKENS.alice,
    HF_HUB_DISABLE_TELEMETRY: '1',
    HF_HUB_DISABLE_PROGRESS_BARS: '1',
  });
  beforeAll(async () => {
    hub = await startTestHub({ pageSize: 4 });
    tmp = tempDir('cliphub-push-');
    model = path.join(tmp.dir, 'model');
    mkdirSync(path.join(model, 'extra'), { recursive: true });
    copyFileSync(path.join(tiny, 'open_clip_model.safetensors'), path.join(model, 'open_clip_model.safetensors'));
    copyFileSync(path.join(tiny, 'open_clip_config.json'), path.join(model, 'open_clip_config.json'));
    writeFileSync(path.join(model, 'extra/big.bin'), bytes(11 * 1024 * 1024 + 5, 11)); // > 10 MiB: multipart
    writeFileSync(path.join(model, 'extra/notes.txt'), 'hello\n');
  });
  afterAll(async () => {
    await hub.cleanup();
    tmp.cleanup();
  });
  /** pullRepo into a fresh cache lands `commit`, with every file of `folder` byte-identical. */
  const expectPulledCopy = async (repo: string, cache: string, commit: string | null, folder: string) => {
    const pulled = await pullRepo({ repo, hubUrl: hub.url, token: TOKENS.alice, cacheDir: path.join(tmp.dir, cache) });
    expect(pulled.commit).toBe(commit);
    for (const [p, b] of readTree(folder))
      expect(readFileSync(path.join(pulled.snapshotDir, p)).equals(b), p).toBe(true);
  };

  it('pushes in one commit, pulls byte-identical into the HF cache layout, and re-pushing is a no-op', async () => {
    const card = '---\nlibrary_name: open_clip\n---\n# tiny\n';
    const r = await pushFolder({ repo: 'acme/tiny-clip', folder: model, hubUrl: hub.url, token: TOKENS.alice, card });
    expect(r.repoCreated).toBe(true);
    expect(r.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(r.files.filter((f) => f.action === 'upload').map((f) => f.path)).toEqual([
      'README.md',
      'extra/big.bin',
      'extra/notes.txt',
      'open_clip_config.json',
      'open_clip_model.safetensors',
    ]);
    expect(hub.logLines.filter((l) => / POST \/api\/models\/acme\/tiny-clip\/commit\//.test(l))).toHaveLength(1);

    const cache = path.join(tmp.dir, 'cache');
    const pulled = await pullRepo({
      repo: 'hf-hub:acme/tiny-clip',
      hubUrl: hub.url,
      token: TOKENS.alice,
      cacheDir: cache,
    });
    expect(pulled.commit).toBe(r.commit);
    const got = readTree(pulled.snapshotDir);
    for (const [p, b] of readTree(model)) expect(got.get(p)?.equals(b), p).toBe(true);
    expect(got.get('README.md')?.toString()).toBe(card);
    const storage = path.join(cache, 'models--acme--tiny-clip');
    expect(readFileSync(path.join(storage, 'refs/main'), 'utf8')).toBe(r.commit);
    expect(readlinkSync(path.join(pulled.snapshotDir, 'extra/big.bin'))).toMatch(
      /^\.\.\/\.\.\/\.\.\/blobs\/[0-9a-f]{64}$/,
    );
    const again = await pullRepo({ repo: 'acme/tiny-clip', hubUrl: hub.url, token: TOKENS.alice, cacheDir: cache });
    expect(again.downloadedBytes).toBe(0);

    // identical second push: everything unchanged, the existing card kept, no new commit
    const second = await pushFolder({
      repo: 'acme/tiny-clip',
      folder: model,
      hubUrl: hub.url,
      token: TOKENS.alice,
      card: '# other card\n',
    });
    expect(second.commit).toBeNull();
    expect(second.files.every((f) => f.action === 'skip')).toBe(true);
    expect(second.files.find((f) => f.path === 'README.md')?.reason).toBe('existing card kept');
    expect(hub.logLines.filter((l) => / POST \/api\/models\/acme\/tiny-clip\/commit\//.test(l))).toHaveLength(1);
  });

  it('an interrupted push re-run uploads only the missing objects and lands one commit', async () => {
    const folder = path.join(tmp.dir, 'interrupt');
    mkdirSync(folder);
    for (let i = 0; i < 4; i++) writeFileSync(path.join(folder, `w${i}.safetensors`), bytes(200_000 + i, 100 + i));
    const ctl = new AbortController();
    let puts = 0;
    let first: Promise<Response> | undefined;
    // let exactly one LFS upload finish, then pull the plug, as a killed process would
    const flaky: typeof fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (url.includes('/_lfs/upload/') && init?.method === 'PUT' && ++puts > 1) {
        await first;
        ctl.abort();
        throw new Error('connection lost');
      }
      const res = fetch(input, init);
      if (puts === 1 && url.includes('/_lfs/upload/')) first = res;
      return res;
    };
    await expect(
      pushFolder({
        repo: 'alice/interrupted',
        folder,
        hubUrl: hub.url,
        token: TOKENS.alice,
        fetch: flaky,
        abortSignal: ctl.signal,
      }),
    ).rejects.toThrow(/pushing the commit failed/);
    const before = hub.logLines.length;
    const r = await pushFolder({ repo: 'alice/interrupted', folder, hubUrl: hub.url, token: TOKENS.alice });
    const uploads = hub.logLines.slice(before).filter((l) => / PUT \/_lfs\/upload\//.test(l));
    expect(uploads).toHaveLength(3); // one object survived the interruption
    const commits = hub.logLines.filter((l) => / POST \/api\/models\/alice\/interrupted\/commit\/\S+ 200/.test(l));
    expect(commits).toHaveLength(1);
    await expectPulledCopy('alice/interrupted', 'c2', r.commit, folder);
  });

  describe.skipIf(!hasOracle)('with Python huggingface_hub and open_clip', () => {
    it('snapshot_download of the JS-pushed repo is byte-identical and open_clip reproduces the reference embeddings', async () => {
      const dl = path.join(tmp.dir, 'py-cache');
      const res = await pythonJsonAsync<{
        files: Record<string, string>;
        maxdiff: Record<string, number>;
        commit: string;
      }>(
        `
import hashlib, json, os, sys, torch, open_clip
from huggingface_hub import snapshot_download
from safetensors.torch import load_file
d = snapshot_download('acme/tiny-clip', cache_dir=sys.argv[1])
files = {}
for root, _, names in os.walk(d):
    for n in names:
        p = os.path.join(root, n)
        files[os.path.relpath(p, d)] = hashlib.sha256(open(p, 'rb').read()).hexdigest()
model, _ = open_clip.create_model_from_pretrained('hf-hub:acme/tiny-clip', cache_dir=sys.argv[1])
model.eval()
ref = load_file(sys.argv[2])
with torch.no_grad():
    img = model.encode_image(ref['inputs.pixel_values'])
    txt = model.encode_text(ref['inputs.input_ids'])
md = {'image': (img - ref['cpu_fp32.image_embeds']).abs().max().item(), 'text': (txt - ref['cpu_fp32.text_embeds']).abs().max().item()}
print(json.dumps({'files': files, 'maxdiff': md, 'commit': os.path.basename(d)}))
`,
        [dl, path.join(tiny, 'reference.safetensors')],
        env(),
      );
      for (const [p, b] of readTree(model)) expect(res.files[p], p).toBe(createHash('sha256').update(b).digest('hex'));
      expect(res.maxdiff.image).toBeLessThan(1e-5);
      expect(res.maxdiff.text).toBeLessThan(1e-5);
    });

    it('Python upload_folder, then pullRepo, is byte-identical', async () => {
      const src = path.join(tmp.dir, 'py-src');
      mkdirSync(path.join(src, 'sub'), { recursive: true });
      writeFileSync(path.join(src, 'a.json'), '{"x": 1}\n');
      writeFileSync(path.join(src, 'sub/w.safetensors'), bytes(300_000, 5));
      writeFileSync(path.join(src, 'sub/big.bin'), bytes(10 * 1024 * 1024 + 77, 6));
      const out = await pythonJsonAsync<{ oid: string }>(
        `
import json, sys
from huggingface_hub import HfApi
api = HfApi()
api.create_repo('acme/from-python', exist_ok=True)
api.create_repo('acme/from-python', exist_ok=True)
info = api.upload_folder(repo_id='acme/from-python', folder_path=sys.argv[1], commit_message='from python')
print(json.dumps({'oid': info.oid}))
`,
        [src],
        env(),
      );
      await expectPulledCopy('acme/from-python', 'c3', out.oid, src);
    });
  });
});
