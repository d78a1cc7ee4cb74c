import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedFixtures, tempDir } from '#test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain } from '../test-utils/run-main.js';

const fixture = (name: string): string => path.join(generatedFixtures, 'models', name);

describe('cliphub convert --to transformers.js', () => {
  const tmp = tempDir('cliphub-tjs-cli-');
  afterAll(() => tmp.cleanup());
  const leftovers = () => readdirSync(tmp.dir).filter((n) => n.includes('staging'));

  it('writes the layout, and refuses an existing --out without --force (exit 2, folder untouched)', async () => {
    const out = path.join(tmp.dir, 'vit');
    const ok = await runMain(
      ['convert', fixture('tiny-vit-quickgelu'), '--to', 'transformers.js', '--out', out, '--json'],
      {
        cwd: tmp.dir,
      },
    );
    expect(ok.err).toBe('');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out) as { files: string[]; textSequence: string };
    expect(report.files).toEqual([
      'cliphub.json',
      'config.json',
      'onnx/model.onnx',
      'onnx/text_model.onnx',
      'onnx/vision_model.onnx',
      'open_clip_config.json',
      'preprocessor_config.json',
      'special_tokens_map.json',
      'tokenizer_config.json',
      'tokenizer.json',
    ]);
    expect(report.textSequence).toBe('dynamic');
    // cliphub's runtime loads the same folder: its manifest points into onnx/
    const manifest = JSON.parse(readFileSync(path.join(out, 'cliphub.json'), 'utf8')) as {
      towers: Record<string, { file: string }>;
    };
    expect(manifest.towers.vision?.file).toBe('onnx/vision_model.onnx');
    expect(manifest.towers.text?.file).toBe('onnx/text_model.onnx');
    const marker = path.join(out, 'config.json');
    writeFileSync(marker, '{"mine": true}');
    const again = await runMain(['convert', fixture('tiny-vit-quickgelu'), '--to', 'transformers.js', '--out', out], {
      cwd: tmp.dir,
    });
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already exists.*--force/);
    expect(readFileSync(marker, 'utf8')).toBe('{"mine": true}');
    const forced = await runMain(
      ['convert', fixture('tiny-vit-quickgelu'), '--to', 'transformers.js', '--out', out, '--force', '--dtype', 'fp16'],
      { cwd: tmp.dir },
    );
    expect(forced.code).toBe(0);
    expect(readdirSync(path.join(out, 'onnx')).sort()).toEqual([
      'model_fp16.onnx',
      'text_model_fp16.onnx',
      'vision_model_fp16.onnx',
    ]);
    expect(leftovers()).toEqual([]);
  });

  it('exits 2 naming the part for a model transformers.js cannot express, leaving no folder', async () => {
    const out = path.join(tmp.dir, 'siglip');
    const r = await runMain(['convert', fixture('tiny-siglip-like'), '--to', 'transformers.js', '--out', out], {
      cwd: tmp.dir,
    });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cannot run this model as open_clip does: its tokenizer: text vocab_size 1000/);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  it('exits 2 for a SigLIP model without its tokenizer files, saying which files and how, leaving no folder', async () => {
    const out = path.join(tmp.dir, 'siglip-zoo');
    const zoo = path.join(generatedFixtures, 'export-zoo', 'ViT-B-16-SigLIP');
    const r = await runMain(['convert', zoo, '--to', 'transformers.js', '--out', out], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/tokenizer\.json not found: .*timm\/ViT-B-16-SigLIP; pass --hf-tokenizer DIR/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
    expect(leftovers()).toEqual([]);
    const onnx = await runMain(['convert', zoo, '--to', 'onnx', '--out', out, '--hf-tokenizer', tmp.dir], {
      cwd: tmp.dir,
    });
    expect(onnx.code).toBe(2);
    expect(onnx.err).toMatch(/--hf-tokenizer applies to --to transformers\.js only/);
  });

  it('--hf-tokenizer DIR: writes the SigLIP layout with that tokenizer and model_type siglip', async () => {
    const tok = path.join(tmp.dir, 'tok');
    mkdirSync(tok);
    // a minimal word-level tokenizer: ids below the tiny model's vocab, '</s>' appended, '<pad>' = 0
    const vocab = { '<pad>': 0, '</s>': 1, '<unk>': 2, a: 3, dog: 4 };
    writeFileSync(
      path.join(tok, 'tokenizer.json'),
      JSON.stringify({
        version: '1.0',
        added_tokens: [],
        normalizer: null,
        pre_tokenizer: { type: 'WhitespaceSplit' },
        post_processor: {
          type: 'TemplateProcessing',
          single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '</s>', type_id: 0 } }],
          pair: [],
          special_tokens: { '</s>': { id: '</s>', ids: [1], tokens: ['</s>'] } },
        },
        decoder: null,
        model: { type: 'WordLevel', vocab, unk_token: '<unk>' },
      }),
    );
    writeFileSync(path.join(tok, 'tokenizer_config.json'), '{"pad_token": "<pad>", "eos_token": "</s>"}');
    const out = path.join(tmp.dir, 'siglip-ok');
    const zoo = path.join(generatedFixtures, 'export-zoo', 'ViT-B-16-SigLIP');
    const r = await runMain(['convert', zoo, '--to', 'transformers.js', '--out', out, '--hf-tokenizer', 'tok'], {
      cwd: tmp.dir,
    });
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const config = JSON.parse(readFileSync(path.join(out, 'config.json'), 'utf8')) as { model_type: string };
    expect(config.model_type).toBe('siglip');
    const tokenizer = JSON.parse(readFileSync(path.join(out, 'tokenizer.json'), 'utf8')) as {
      model: { vocab: Record<string, number> };
    };
    expect(tokenizer.model.vocab).toEqual(vocab);
    const tokenizerConfig = JSON.parse(readFileSync(path.join(out, 'tokenizer_config.json'), 'utf8')) as {
      model_max_length: number;
    };
    expect(tokenizerConfig.model_max_length).toBe(64);
  });

  it('exits 2 for an unknown --dtype, leaving no folder', async () => {
    const out = path.join(tmp.dir, 'q4');
    const r = await runMain(
      ['convert', fixture('tiny-vit-quickgelu'), '--to', 'transformers.js', '--out', out, '--dtype', 'q4'],
      { cwd: tmp.dir },
    );
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/unknown --dtype 'q4'.*fp32, fp16, int8 or all/);
    expect(existsSync(out)).toBe(false);
  });

  it('exits 2 for an empty but existing --out too (it is refused, not merged into)', async () => {
    const out = path.join(tmp.dir, 'empty');
    mkdirSync(out);
    const r = await runMain(['convert', fixture('tiny-vit-quickgelu'), '--to', 'transformers.js', '--out', out], {
      cwd: tmp.dir,
    });
    expect(r.code).toBe(2);
    expect(readdirSync(out)).toEqual([]);
  });
});
