import { existsSync, mkdirSync, copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasOracle, pythonJson, sink, tempDir } from '#test-support';
import { exportModelDir, tinyModels } from '#test-support/model-export.js';
import { writeTestImages } from '#test-support/test-images.js';
import { main } from '../main.js';
import { runMain, type MainResult } from '../test-utils/run-main.js';

const tmp = tempDir();
function cli(...argv: string[]): Promise<MainResult> {
  return runMain(argv, { env: {}, cwd: tmp.dir });
}

const TEXTS = [
  'a photo of a cat',
  'Ünïcödé “quotes” &amp; ﬁne',
  '',
  Array.from({ length: 100 }, (_, i) => `w${i}`).join(' '),
];

// One oracle process: open_clip (PIL preprocess, its tokenizer) embeddings and the README zero-shot recipe with
// logit_scale.exp(), plus numpy's and safetensors' reading of the files the CLI wrote.
const SCRIPT = `
import json, sys, torch, numpy as np, open_clip
from PIL import Image
from safetensors import safe_open
a = json.load(open(sys.argv[1]))
out = {}
with torch.no_grad():
    for key, c in a['models'].items():
        model, preprocess = open_clip.create_model_from_pretrained('local-dir:' + c['dir'])
        model.eval()
        tok = open_clip.get_tokenizer('local-dir:' + c['dir'])
        px = torch.stack([preprocess(Image.open(f)) for f in a['images']])
        fi = model.encode_image(px); ft = model.encode_text(tok(a['texts']))
        zi = fi[:1] / fi[:1].norm(dim=-1, keepdim=True)
        zt = model.encode_text(tok(a['prompts'])); zt = zt / zt.norm(dim=-1, keepdim=True)
        out[key] = {'image': fi.tolist(), 'text': ft.tolist(), 'probs': (model.logit_scale.exp() * zi @ zt.T).softmax(dim=-1)[0].tolist()}
files = {}
for name, f in a['npy'].items():
    arr = np.load(f); files[name] = {'dtype': str(arr.dtype), 'shape': list(arr.shape), 'data': arr.tolist()}
for name, f in a['st'].items():
    with safe_open(f, 'np') as s:
        files[name] = {'meta': s.metadata(), 'tensors': {k: s.get_tensor(k).tolist() for k in s.keys()}}
out['files'] = files
print(json.dumps(out))
`;

interface Oracle {
  [model: string]: { image: number[][]; text: number[][]; probs: number[] };
}
interface Files {
  files: Record<
    string,
    {
      dtype?: string;
      shape?: number[];
      data?: number[][];
      meta?: Record<string, string>;
      tensors?: Record<string, number[][]>;
    }
  >;
}

function maxDiff(a: number[][], b: number[][]): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => row.forEach((v, j) => (m = Math.max(m, Math.abs(v - b[i]![j]!)))));
  return m;
}

describe.skipIf(!hasOracle)('cliphub embed / zeroshot vs open_clip', () => {
  const models = { vit: path.join(tmp.dir, 'vit'), rn: path.join(tmp.dir, 'rn') };
  const LABELS = ['a cat', 'a dog', 'stripes'];
  let images: string[] = [];
  let oracle: Oracle & Files;
  const zs: Record<string, number[]> = {};
  const runs: Record<string, { code: number; out: string; err: string }> = {};

  beforeAll(async () => {
    const imgDir = path.join(tmp.dir, 'imgs');
    mkdirSync(imgDir);
    images = (await writeTestImages(imgDir)).sort();
    await exportModelDir(tinyModels('tiny-vit-quickgelu'), models.vit);
    await exportModelDir(tinyModels('tiny-rn-quickgelu'), models.rn);
    writeFileSync(path.join(tmp.dir, 'texts.txt'), `${TEXTS.join('\n')}\n`);
    for (const [k, dir] of Object.entries(models)) {
      // --images as a dir (sorted by name) into npy; texts into npy; both into safetensors and jsonl
      runs[`${k}-img-npy`] = await cli(
        'embed',
        '--model',
        dir,
        '--images',
        imgDir,
        '--out',
        `${k}-img.npy`,
        '--batch',
        '2',
      );
      runs[`${k}-txt-npy`] = await cli(
        'embed',
        '--model',
        dir,
        '--texts',
        'texts.txt',
        '--out',
        `${k}-txt.npy`,
        '--batch',
        '3',
      );
      runs[`${k}-st`] = await cli(
        'embed',
        '--model',
        dir,
        '--images',
        images[0]!,
        ...images.slice(1),
        '--texts',
        'texts.txt',
        '--out',
        `${k}.safetensors`,
        '--json',
      );
      runs[`${k}-jsonl`] = await cli(
        'embed',
        '--model',
        dir,
        '--images',
        imgDir,
        '--text',
        TEXTS[0]!,
        '--text',
        TEXTS[1]!,
        '--out',
        `${k}.out`,
        '--format',
        'jsonl',
        '--normalize',
      );
      const z = await cli(
        'zeroshot',
        '--model',
        dir,
        '--image',
        images[0]!,
        '--labels',
        LABELS.join(','),
        '--template',
        'a photo of {}.',
        '--json',
      );
      expect(z.code, z.err).toBe(0);
      zs[k] = (JSON.parse(z.out) as { labels: Array<{ prob: number }> }).labels.map((l) => l.prob);
    }
    const args = path.join(tmp.dir, 'args.json');
    const p = (n: string) => path.join(tmp.dir, n);
    writeFileSync(
      args,
      JSON.stringify({
        models: { vit: tinyModels('tiny-vit-quickgelu'), rn: tinyModels('tiny-rn-quickgelu') },
        images,
        texts: TEXTS,
        prompts: LABELS.map((l) => `a photo of ${l}.`),
        npy: {
          'vit-img': p('vit-img.npy'),
          'vit-txt': p('vit-txt.npy'),
          'rn-img': p('rn-img.npy'),
          'rn-txt': p('rn-txt.npy'),
        },
        st: { vit: p('vit.safetensors'), rn: p('rn.safetensors') },
      }).replace(/"models":\{"vit":("[^"]+"),"rn":("[^"]+")\}/, '"models":{"vit":{"dir":$1},"rn":{"dir":$2}}'),
    );
    oracle = pythonJson<Oracle & Files>(SCRIPT, [args]);
  });
  afterAll(tmp.cleanup);

  it.each(['vit', 'rn'])('%s: npy files are float32 [N, D] in input order and match open_clip', (k) => {
    for (const r of [runs[`${k}-img-npy`]!, runs[`${k}-txt-npy`]!]) expect(r.code, r.err).toBe(0);
    const img = oracle.files[`${k}-img`]!;
    const txt = oracle.files[`${k}-txt`]!;
    expect(img.dtype).toBe('float32');
    expect(img.shape).toEqual([5, 16]);
    expect(txt.shape).toEqual([4, 16]); // N = lines, the empty line included
    expect(maxDiff(img.data!, oracle[k]!.image)).toBeLessThan(1e-4);
    expect(maxDiff(txt.data!, oracle[k]!.text)).toBeLessThan(1e-4);
    expect(runs[`${k}-txt-npy`]!.err).toMatch(
      /warning: 1 text\(s\) longer than the 77-token context were truncated \(lines 4\)/,
    );
    expect(runs[`${k}-img-npy`]!.err).toMatch(/embedded 5 images in [\d.]+ s \([\d.]+ images\/s\)/);
  });

  it.each(['vit', 'rn'])('%s: safetensors holds image_embeds and text_embeds with the inputs in its metadata', (k) => {
    const r = runs[`${k}-st`]!;
    expect(r.code, r.err).toBe(0);
    const summary = JSON.parse(r.out) as {
      images: { embedded: number; perSecond: number };
      texts: { truncated: number };
    };
    expect(summary.images.embedded).toBe(5);
    expect(summary.images.perSecond).toBeGreaterThan(0);
    expect(summary.texts.truncated).toBe(1);
    const st = oracle.files[k]!;
    expect(JSON.parse(st.meta!.image_inputs!)).toEqual(images);
    expect(JSON.parse(st.meta!.text_inputs!)).toEqual(TEXTS);
    expect(maxDiff(st.tensors!.image_embeds!, oracle[k]!.image)).toBeLessThan(1e-4);
    expect(maxDiff(st.tensors!.text_embeds!, oracle[k]!.text)).toBeLessThan(1e-4);
  });

  it.each(['vit', 'rn'])('%s: jsonl has one normalized object per input', (k) => {
    expect(runs[`${k}-jsonl`]!.code).toBe(0);
    const rows = readFileSync(path.join(tmp.dir, `${k}.out`), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { image?: string; text?: string; embedding: number[] });
    expect(rows.map((r) => r.image ?? r.text)).toEqual([...images, TEXTS[0], TEXTS[1]]);
    const want = [...oracle[k]!.image, ...oracle[k]!.text.slice(0, 2)].map((v) => v.map((x) => x / Math.hypot(...v)));
    expect(
      maxDiff(
        rows.map((r) => r.embedding),
        want,
      ),
    ).toBeLessThan(1e-5);
  });

  it.each(['vit', 'rn'])("%s: zeroshot prints open_clip's README probabilities (with logit_scale.exp())", async (k) => {
    zs[k]!.forEach((p, i) => expect(p).toBeCloseTo(oracle[k]!.probs[i]!, 5));
    const r = await cli(
      'zeroshot',
      '--model',
      models[k as 'vit'],
      '--image',
      images[0]!,
      '--labels',
      LABELS.join(', '),
      '--template',
      'a photo of {}.',
    );
    expect(r.code).toBe(0);
    const best = oracle[k]!.probs.indexOf(Math.max(...oracle[k]!.probs));
    // The first row is the best label, printed with 6 decimals.
    const top = /^ {2}(.+?)\s+([\d.]+)$/.exec(r.out.split('\n')[1] ?? '');
    expect(top?.[1]).toBe(LABELS[best]);
    expect(Number(top?.[2])).toBeCloseTo(oracle[k]!.probs[best]!, 4);
    expect(r.out).toContain('softmax, logit_scale');
  });

  it('runs on the dir `cliphub convert --to onnx` writes, with the same embeddings', async () => {
    // absolute --out: convert resolves relative paths against process.cwd(), not the CommandIO cwd
    const conv = await cli(
      'convert',
      tinyModels('tiny-vit-quickgelu'),
      '--to',
      'onnx',
      '--out',
      path.join(tmp.dir, 'converted'),
    );
    expect(conv.code, conv.err).toBe(0);
    const vocab = path.join(models.vit, 'bpe_simple_vocab_16e6.txt.gz');
    const r = await cli(
      'embed',
      '--model',
      'converted',
      '--images',
      ...images,
      '--texts',
      'texts.txt',
      '--out',
      'conv.jsonl',
      '--vocab',
      vocab,
    );
    expect(r.code, r.err).toBe(0);
    const rows = readFileSync(path.join(tmp.dir, 'conv.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { embedding: number[] }).embedding);
    expect(maxDiff(rows, [...oracle.vit!.image, ...oracle.vit!.text])).toBeLessThan(1e-4);
  });

  it('draws an items/s progress bar on a TTY and none under --json', async () => {
    const run = async (...extra: string[]) => {
      const stderr = Object.assign(sink(), { isTTY: true, columns: 100 });
      const code = await main(
        ['embed', '--model', models.vit, '--images', ...images, '--out', 'tty.npy', '--batch', '2', ...extra],
        { stdout: sink(), stderr, env: {}, cwd: tmp.dir },
      );
      return { code, err: stderr.text() };
    };
    const tty = await run();
    expect(tty.code).toBe(0);
    expect(tty.err).toMatch(/\rimages \[#+-*\] 2\/5 [\d.]+\/s/);
    expect(tty.err).toMatch(/\rimages \[#+\] 5\/5 [\d.]+\/s/);
    expect(tty.err.endsWith('\n')).toBe(true);
    expect((await run('--json')).err).not.toContain('\r');
  });

  describe('bad input: exit 2 naming the culprit', () => {
    it('a model dir without cliphub.json', async () => {
      const empty = path.join(tmp.dir, 'no-manifest');
      mkdirSync(empty);
      for (const r of [
        await cli('embed', '--model', empty, '--text', 'x', '--out', 'x.npy'),
        await cli('zeroshot', '--model', empty, '--image', images[0]!, '--labels', 'a,b'),
      ]) {
        expect(r.code).toBe(2);
        expect(r.err).toContain(`${path.join(empty, 'cliphub.json')} not found`);
      }
    });

    it('a corrupt image stops the run; --keep-going writes the rest and still exits 2', async () => {
      const bad = path.join(tmp.dir, 'broken.png');
      copyFileSync(images[0]!, bad);
      writeFileSync(bad, readFileSync(bad).subarray(0, 40));
      // the broken file sits between two good ones
      const embedAround = (...out: string[]) =>
        cli('embed', '--model', models.vit, '--images', images[0]!, bad, images[1]!, '--out', ...out);
      const stop = await embedAround('stop.npy');
      expect(stop.code).toBe(2);
      expect(stop.err).toContain(bad);
      expect(existsSync(path.join(tmp.dir, 'stop.npy'))).toBe(false);
      const go = await embedAround('go.jsonl', '--keep-going');
      expect(go.code).toBe(2);
      expect(go.err).toContain(`skipped ${bad}`);
      const rows = readFileSync(path.join(tmp.dir, 'go.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { image: string }).image);
      expect(rows).toEqual([images[0], images[1]]);
    });

    it('zeroshot on a corrupt image names it', async () => {
      const bad = path.join(tmp.dir, 'zs-bad.jpg');
      writeFileSync(bad, 'GIF89a nope');
      const r = await cli('zeroshot', '--model', models.vit, '--image', bad, '--labels', 'a,b');
      expect(r.code).toBe(2);
      expect(r.err).toContain(bad);
    });

    it('an empty text file, a missing one, and npy with both images and texts', async () => {
      writeFileSync(path.join(tmp.dir, 'empty.txt'), '\n\n');
      const e = await cli('embed', '--model', models.vit, '--texts', 'empty.txt', '--out', 'e.npy');
      expect(e.code).toBe(2);
      expect(e.err).toContain(`${path.join(tmp.dir, 'empty.txt')} is empty`);
      const m = await cli('embed', '--model', models.vit, '--texts', 'nope.txt', '--out', 'e.npy');
      expect(m.code).toBe(2);
      expect(m.err).toContain('nope.txt');
      const both = await cli(
        'embed',
        '--model',
        models.vit,
        '--images',
        images[0]!,
        '--text',
        'x',
        '--out',
        'both.npy',
      );
      expect(both.code).toBe(2);
      expect(both.err).toContain('npy holds one array');
    });

    it('--vocab supplies the BPE vocab a model dir lacks', async () => {
      const bare = path.join(tmp.dir, 'bare');
      await exportModelDir(tinyModels('tiny-vit-quickgelu'), bare, { withVocab: false });
      const r = await cli(
        'embed',
        '--model',
        bare,
        '--text',
        TEXTS[0]!,
        '--out',
        'v.npy',
        '--vocab',
        path.join(models.vit, 'bpe_simple_vocab_16e6.txt.gz'),
        '--json',
      );
      expect(r.code, r.err).toBe(0);
      const npy = readFileSync(path.join(tmp.dir, 'v.npy'));
      const row = Array.from(new Float32Array(npy.buffer.slice(npy.byteOffset + 128, npy.byteOffset + npy.length)));
      expect(maxDiff([row], [oracle.vit!.text[0]!])).toBeLessThan(1e-4);
    });

    it('a model dir without a vocab embeds texts and classifies with the bundled vocab, the Hub unreachable', async () => {
      const bare = path.join(tmp.dir, 'bare-offline');
      await exportModelDir(tinyModels('tiny-vit-quickgelu'), bare, { withVocab: false });
      // Port 9 (discard) on loopback refuses connections: any fetch attempt would fail and say so.
      const env = { HF_ENDPOINT: 'http://127.0.0.1:9', HF_HUB_CACHE: path.join(tmp.dir, 'no-hub-cache') };
      const r = await runMain(['embed', '--model', bare, '--text', TEXTS[0]!, '--out', 'bundled.npy'], {
        env,
        cwd: tmp.dir,
      });
      expect(r.code, r.err).toBe(0);
      expect(r.err).not.toContain('fetching');
      const npy = readFileSync(path.join(tmp.dir, 'bundled.npy'));
      const row = Array.from(new Float32Array(npy.buffer.slice(npy.byteOffset + 128, npy.byteOffset + npy.length)));
      expect(maxDiff([row], [oracle.vit!.text[0]!])).toBeLessThan(1e-4);
      const z = await runMain(
        ['zeroshot', '--model', bare, '--image', images[0]!, '--labels', 'a cat,a dog', '--json'],
        {
          env,
          cwd: tmp.dir,
        },
      );
      expect(z.code, z.err).toBe(0);
      expect(z.err).toBe('');
    });

    it('bad flags: no inputs, --batch 0, an unknown format, an empty label', async () => {
      expect((await cli('embed', '--model', models.vit, '--out', 'x.npy')).err).toContain('nothing to embed');
      expect((await cli('embed', '--model', models.vit, '--text', 'a', '--out', 'x.npy', '--batch', '0')).code).toBe(2);
      expect((await cli('embed', '--model', models.vit, '--text', 'a', '--out', 'x', '--format', 'csv')).err).toContain(
        '--format must be one of',
      );
      expect((await cli('zeroshot', '--model', models.vit, '--image', images[0]!, '--labels', 'a,,b')).err).toContain(
        'empty label',
      );
    });
  });
});
