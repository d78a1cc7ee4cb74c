import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { generatedFixtures, tempDir } from '#test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// the server is this test's fixture; the command under test only talks HTTP to it
import { createHubServer, type HubServer } from '../../../hub-server/src/index.js';
import { main } from '../main.js';

const TOKEN = 'hf_clitest_0123456789abcdef';

function io(env: Record<string, string>, cwd: string) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  return { io: { stdout: out, stderr: err, env: { HOME: cwd, ...env }, cwd }, text: () => ({ stdout, stderr }) };
}

describe('cliphub push / pull', () => {
  let hub: HubServer;
  let tmp: { dir: string; cleanup: () => void };
  const log: string[] = [];
  beforeAll(async () => {
    tmp = tempDir('cliphub-cli-push-');
    writeFileSync(path.join(tmp.dir, 'tokens'), `${TOKEN} team write\nhf_readonly_0123456789 reader read team\n`);
    hub = await createHubServer({ dataDir: path.join(tmp.dir, 'data'), tokensFile: path.join(tmp.dir, 'tokens'), log: (l) => log.push(l) });
    const m = path.join(tmp.dir, 'model');
    mkdirSync(path.join(tmp.dir, 'onnx'), { recursive: true });
    mkdirSync(m);
    for (const f of ['open_clip_model.safetensors', 'open_clip_config.json']) copyFileSync(path.join(generatedFixtures, 'models/tiny-vit-gelu', f), path.join(m, f));
    writeFileSync(path.join(tmp.dir, 'onnx/cliphub.json'), '{"opset":17}\n');
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('dry-runs, pushes with a card and ONNX, pulls byte-identical, and never prints the token', async () => {
    const env = { HF_TOKEN: TOKEN };
    const dry = io(env, tmp.dir);
    expect(await main(['push', 'model', '--repo', 'team/tiny', '--hub-url', hub.url, '--with-onnx', 'onnx', '--dry-run'], dry.io)).toBe(0);
    expect(dry.text().stdout).toMatch(/upload lfs .*open_clip_model\.safetensors/);
    expect(dry.text().stdout).toMatch(/dry run: would upload/);
    expect(log.some((l) => / POST /.test(l))).toBe(false); // nothing created or uploaded

    const push = io(env, tmp.dir);
    expect(await main(['push', 'model', '--repo', 'team/tiny', '--hub-url', hub.url, '--with-onnx', 'onnx', '--json'], push.io)).toBe(0);
    const res = JSON.parse(push.text().stdout) as { commit: string; files: Array<{ path: string; action: string }> };
    expect(res.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(res.files.map((f) => f.path)).toEqual(['README.md', 'onnx/cliphub.json', 'open_clip_config.json', 'open_clip_model.safetensors']);

    const again = io(env, tmp.dir);
    expect(await main(['push', 'model', '--repo', 'team/tiny', '--hub-url', hub.url, '--with-onnx', 'onnx'], again.io)).toBe(0);
    expect(again.text().stdout).toMatch(/already up to date; no commit made/);
    expect(again.text().stdout).toMatch(/README\.md \(existing card kept\)/);

    const pull = io(env, tmp.dir);
    expect(await main(['pull', 'hf-hub:team/tiny', '--hub-url', hub.url, '--cache-dir', 'cache', '--json'], pull.io)).toBe(0);
    const pulled = JSON.parse(pull.text().stdout) as { snapshotDir: string; commit: string };
    expect(pulled.commit).toBe(res.commit);
    for (const f of ['open_clip_model.safetensors', 'open_clip_config.json'])
      expect(readFileSync(path.join(pulled.snapshotDir, f)).equals(readFileSync(path.join(tmp.dir, 'model', f)))).toBe(true);
    const card = readFileSync(path.join(pulled.snapshotDir, 'README.md'), 'utf8');
    expect(card).toMatch(/library_name: open_clip/);
    expect(card).toMatch(/- onnx/);

    for (const t of [dry, push, again, pull]) expect(JSON.stringify(t.text())).not.toContain(TOKEN);
    expect(log.join('\n')).not.toContain(TOKEN);
  });

  it('refuses a push without a token or with a read-only one, without echoing the token', async () => {
    const none = io({}, tmp.dir);
    expect(await main(['push', 'model', '--repo', 'team/x', '--hub-url', hub.url], none.io)).toBe(2);
    expect(none.text().stderr).toMatch(/No Hub token: set HF_TOKEN/);
    const ro = io({ HF_TOKEN: 'hf_readonly_0123456789' }, tmp.dir);
    expect(await main(['push', 'model', '--repo', 'team/x', '--hub-url', hub.url], ro.io)).toBe(1);
    expect(ro.text().stderr).toMatch(/read-only/);
    expect(ro.text().stderr).not.toContain('hf_readonly_0123456789');
    const missing = io({ HF_TOKEN: TOKEN }, tmp.dir);
    expect(await main(['push', 'onnx', '--repo', 'team/x', '--hub-url', hub.url], missing.io)).toBe(2);
    expect(missing.text().stderr).toMatch(/open_clip_model\.safetensors is missing/);
  });
});
