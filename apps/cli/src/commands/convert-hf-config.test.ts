import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatedFixtures, tempDir } from '#test-support';
import { compare, embedTexts, loadReference } from '#test-support/onnx-fidelity.js';
import { runMain, type MainResult } from '../test-utils/run-main.js';

// The zoo's tiny NLLB-CLIP (made by real open_clip), its HF tower renamed to one cliphub does not ship.
const zoo = path.join(generatedFixtures, 'export-zoo', 'nllb-clip-base');
const tmp = tempDir('cliphub-hfcfg-');
afterAll(tmp.cleanup);
const cli = (...argv: string[]): Promise<MainResult> => runMain(argv, { env: {}, cwd: tmp.dir });

function modelDir(name: string, withConfig: boolean): string {
  const dir = path.join(tmp.dir, name);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(zoo, 'open_clip_model.safetensors'), path.join(dir, 'open_clip_model.safetensors'));
  const cfg = JSON.parse(readFileSync(path.join(zoo, 'open_clip_config.json'), 'utf8')) as {
    model_cfg: { text_cfg: Record<string, unknown> };
  };
  cfg.model_cfg.text_cfg.hf_model_name = 'my-org/tiny-nllb';
  writeFileSync(path.join(dir, 'open_clip_config.json'), JSON.stringify(cfg));
  if (withConfig) copyFileSync(path.join(zoo, 'config.json'), path.join(dir, 'config.json'));
  return dir;
}

async function textMatches(out: string): Promise<void> {
  const ref = await loadReference(path.join(zoo, 'reference.safetensors'));
  const n = ref.text.dims[0] as number;
  const got = compare(await embedTexts(path.join(out, 'text.onnx'), ref), ref.text.data, n);
  expect(got.minCos).toBeGreaterThanOrEqual(0.99999);
  expect(got.maxRel).toBeLessThanOrEqual(1e-4);
}

describe.skipIf(!existsSync(zoo))('cliphub convert --to onnx: Hugging Face text tower configs', () => {
  it('an HF tower whose config is unknown: exit 2 naming the fix, no files', async () => {
    const dir = modelDir('bare', false);
    const out = path.join(tmp.dir, 'out-bare');
    const r = await cli('convert', dir, '--to', 'onnx', '--towers', 'text', '--out', out);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/my-org\/tiny-nllb/);
    expect(r.err).toMatch(/config\.json beside the checkpoint or pass --hf-config FILE/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('uses a config.json beside the checkpoint', async () => {
    const out = path.join(tmp.dir, 'out-beside');
    const r = await cli('convert', modelDir('beside', true), '--to', 'onnx', '--towers', 'text', '--out', out);
    expect(r.code, r.err).toBe(0);
    await textMatches(out);
  });

  it('uses --hf-config FILE', async () => {
    const dir = modelDir('flag', true);
    renameSync(path.join(dir, 'config.json'), path.join(tmp.dir, 'tiny-nllb-config.json'));
    const out = path.join(tmp.dir, 'out-flag');
    const r = await cli(
      'convert',
      dir,
      '--to',
      'onnx',
      '--towers',
      'text',
      '--hf-config',
      'tiny-nllb-config.json',
      '--out',
      out,
    );
    expect(r.code, r.err).toBe(0);
    await textMatches(out);
    const bad = await cli('convert', dir, '--to', 'onnx', '--hf-config', 'missing.json', '--out', out);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--hf-config .*missing\.json is not a readable JSON object/);
  });
});
