import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { hasOracle, tempDir } from '#test-support';
import { hasChromium, launchChromium, pythonJsonAsync, startServe, type ServeProcess } from './test-utils/web-ui.js';

if (!hasChromium)
  console.warn('SKIPPED (try-it in a browser): /usr/bin/chromium is absent; apt-get install -y chromium');
if (!hasOracle) console.warn('SKIPPED (try-it in a browser): the oracle venv (torch, transformers) is absent');

const ALICE = `hf_alice_${randomBytes(12).toString('hex')}`;
const LABELS = ['a photo of a cat', 'a photo of a dog', 'a diagram'];

/**
 * A tiny CLIP in the layout transformers.js loads (config.json, preprocessor_config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx), built from pieces with the oracle: a random Hugging Face
 * CLIPModel exported to ONNX with the input and output names transformers.js feeds and reads, and the CLIP
 * BPE tokenizer made from open_clip's vocab. (`cliphub convert --to transformers.js` writes this layout
 * from open_clip checkpoints; it is built here so this test does not depend on it.) Also a 32x32 PNG at
 * the model's input size, so both runtimes decode the same pixels and neither resizes.
 */
const MAKE_LAYOUT = `
import json, os, sys, torch, numpy as np
from PIL import Image
from open_clip.tokenizer import SimpleTokenizer
from transformers import CLIPConfig, CLIPModel, CLIPTokenizer, CLIPImageProcessor
out, image = sys.argv[1], sys.argv[2]
os.makedirs(os.path.join(out, 'onnx'), exist_ok=True)
st = SimpleTokenizer()
merges = [tuple(m) for m, _ in sorted(st.bpe_ranks.items(), key=lambda kv: kv[1])]
names = {'<start_of_text>': '<|startoftext|>', '<end_of_text>': '<|endoftext|>'}
tok = CLIPTokenizer(vocab={names.get(k, k): v for k, v in st.encoder.items()}, merges=merges)
tok.model_max_length = 77
tok.save_pretrained(out)
torch.manual_seed(0)
cfg = CLIPConfig(
    text_config=dict(vocab_size=len(st.encoder), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                     num_attention_heads=2, max_position_embeddings=77, bos_token_id=49406, eos_token_id=49407, pad_token_id=49407),
    vision_config=dict(image_size=32, patch_size=8, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2),
    projection_dim=16)
model = CLIPModel(cfg).eval()
model.config.save_pretrained(out)
CLIPImageProcessor(size={'shortest_edge': 32}, crop_size={'height': 32, 'width': 32}).save_pretrained(out)
ids = torch.tensor([[49406, 320, 1125, 49407], [49406, 320, 49407, 49407]])
mask = torch.tensor([[1, 1, 1, 1], [1, 1, 1, 0]])
axes = {'input_ids': {0: 'texts', 1: 'seq'}, 'attention_mask': {0: 'texts', 1: 'seq'}, 'pixel_values': {0: 'images'},
        'logits_per_image': {0: 'images', 1: 'texts'}, 'logits_per_text': {0: 'texts', 1: 'images'},
        'text_embeds': {0: 'texts'}, 'image_embeds': {0: 'images'}}
torch.onnx.export(model, (ids, torch.randn(1, 3, 32, 32), mask), os.path.join(out, 'onnx', 'model.onnx'),
    input_names=['input_ids', 'pixel_values', 'attention_mask'],
    output_names=['logits_per_image', 'logits_per_text', 'text_embeds', 'image_embeds'],
    dynamic_axes=axes, opset_version=17, dynamo=False)
Image.fromarray((np.random.default_rng(3).random((32, 32, 3)) * 255).astype('uint8')).save(image)
print(json.dumps(sorted(os.listdir(out))))
`;

const PY_PUSH = `
import json, os, sys
from huggingface_hub import HfApi
api = HfApi(endpoint=os.environ['HF_ENDPOINT'], token=os.environ['ALICE'])
api.create_repo('acme/tiny-tjs', private=True, exist_ok=True)
api.upload_folder(repo_id='acme/tiny-tjs', folder_path=sys.argv[1], commit_message='transformers.js layout')
print(json.dumps(api.list_repo_files('acme/tiny-tjs')))
`;

describe.skipIf(!hasChromium || !hasOracle)('try-it panel: zero-shot in the browser with transformers.js', () => {
  const tmp = tempDir('cliphub-try-it-');
  const layout = path.join(tmp.dir, 'models', 'tiny-tjs');
  const image = path.join(tmp.dir, 'image.png');
  let serve: ServeProcess;
  let browser: Browser;

  beforeAll(async () => {
    writeFileSync(path.join(tmp.dir, 'tokens'), `${ALICE} alice write acme\n`);
    [serve] = await Promise.all([
      startServe(['--tokens', 'tokens', '--data', 'data'], tmp.dir),
      pythonJsonAsync(MAKE_LAYOUT, [layout, image], {}),
    ]);
    const files = await pythonJsonAsync<string[]>(PY_PUSH, [layout], {
      HF_ENDPOINT: serve.url,
      HF_HUB_DISABLE_XET: '1',
      HF_HOME: path.join(tmp.dir, 'hf-home'),
      ALICE,
    });
    expect(files).toContain('onnx/model.onnx');
    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await serve?.stop();
    tmp.cleanup();
  });

  it('refuses the private repo signed out; signed in, the browser probabilities equal Node transformers.js within 1e-4', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = path.join(tmp.dir, 'models');
    const node = await pipeline('zero-shot-image-classification', 'tiny-tjs', { dtype: 'fp32' });
    const expected = (await node(image, LABELS, { hypothesis_template: '{}' })) as Array<{
      label: string;
      score: number;
    }>;
    await node.dispose();

    const context = await browser.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    const missing: string[] = [];
    page.on('response', (r) => void (r.status() === 404 && missing.push(new URL(r.url()).pathname)));
    for (const u of [
      '/acme/tiny-tjs',
      '/acme/tiny-tjs/resolve/main/onnx/model.onnx',
      '/acme/tiny-tjs/resolve/main/config.json',
    ])
      expect((await page.request.get(`${serve.url}${u}`)).status(), u).toBe(404);

    await page.goto(`${serve.url}/login?next=/acme/tiny-tjs`);
    await page.fill('#token', ALICE);
    await Promise.all([page.waitForURL(/\/acme\/tiny-tjs$/), page.click('#login-submit')]);
    expect(await page.locator('#try-it').count()).toBe(1);
    await page.setInputFiles('#try-image', image);
    await page.fill('#try-labels', LABELS.join(', '));
    await page.click('#try-run');
    await page.waitForSelector('#try-status[data-state="done"], #try-status[data-state="error"]', { timeout: 120_000 });
    expect(await page.locator('#try-status').textContent()).toBe('Done.');
    const got = await page
      .locator('#try-results tr')
      .evaluateAll((rows) =>
        rows.map((r) => ({ label: r.getAttribute('data-label'), score: Number(r.getAttribute('data-prob')) })),
      );
    expect(got.map((g) => g.label)).toEqual(expected.map((e) => e.label));
    const worst = Math.max(...got.map((g, i) => Math.abs(g.score - (expected[i] as { score: number }).score)));
    console.log(`try-it: browser vs Node transformers.js, max |Δp| = ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    // everything came from this server: the library, ORT's WASM and the model
    const origin = new URL(serve.url).origin;
    expect(requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'))).toEqual(
      [],
    );
    expect(requests.some((u) => u.endsWith('.wasm'))).toBe(true);
    expect(missing).toEqual([]);
    expect(errors).toEqual([]);
    await context.close();
  }, 300_000);
});
