import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolve } from '@cliphub/registry';
import { generatedFixtures, hasOracle, pythonJsonAsync, sink, tempDir, writeOversizeJson } from '#test-support';
import { MAX_CONFIG_FILE_BYTES } from '@cliphub/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// the server is this test's fixture; the command under test only talks HTTP to it
import { createHubServer, type HubServer } from '@cliphub/hub-server';
import { DEFAULT_PROFILES } from '@cliphub/validate';
import { main } from '../main.js';

const TOKEN = 'hf_clitest_0123456789abcdef';
const fixture = (model: string, f: string): string => path.join(generatedFixtures, 'models', model, f);
const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

// The shape `cliphub validate --json` writes (packages/validate toJson), for a passing fp32 check.
const validationReport = {
  tool: 'cliphub validate',
  version: 1,
  verdict: 'pass',
  results: [
    {
      name: 'onnx',
      artifact: {
        spec: '/somewhere/onnx',
        path: '/somewhere/onnx',
        kind: 'onnx',
        label: 'onnx',
        precision: 'fp32',
        notes: [],
      },
      reference: {
        path: '/somewhere/reference.safetensors',
        against: 'cpu_fp32',
        modelName: 'tiny-vit-gelu',
        n: 4,
        embedDim: 16,
      },
      profile: DEFAULT_PROFILES.fp32,
      towers: [
        {
          tower: 'image',
          samples: [],
          minCosine: 0.99999988,
          meanCosine: 0.99999994,
          maxAbs: 4.2e-7,
          maxAbsRel: 1e-6,
          maxRelL2: 3.1e-7,
          nonFinite: 0,
        },
        {
          tower: 'text',
          samples: [],
          minCosine: 0.99999994,
          meanCosine: 0.99999997,
          maxAbs: 2.5e-7,
          maxAbsRel: 8e-7,
          maxRelL2: 2.2e-7,
          nonFinite: 0,
        },
      ],
      similarity: { argmaxImageToText: 1, argmaxTextToImage: 1, spearman: 1, maxLogitDiff: 2e-6 },
      checks: [
        { id: 'image.min_cosine', group: 'image', value: 0.99999988, limit: 0.99999, higherIsBetter: true, pass: true },
        { id: 'text.min_cosine', group: 'text', value: 0.99999994, limit: 0.99999, higherIsBetter: true, pass: true },
      ],
      verdict: 'pass',
      diagnosis: [],
      seconds: 0.3,
    },
  ],
  regressions: [],
  errors: [],
};

describe('cliphub push / pull', () => {
  let hub: HubServer;
  let tmp: { dir: string; cleanup: () => void };
  const log: string[] = [];
  const outputs: Array<() => { stdout: string; stderr: string }> = [];
  const run = async (argv: string[], env: Record<string, string> = { HF_TOKEN: TOKEN }) => {
    const stdout = sink();
    const stderr = sink();
    const text = () => ({ stdout: stdout.text(), stderr: stderr.text() });
    outputs.push(text);
    const code = await main(argv, { stdout, stderr, env: { HOME: tmp.dir, ...env }, cwd: tmp.dir });
    return { code, ...text() };
  };
  beforeAll(async () => {
    tmp = tempDir('cliphub-cli-push-');
    writeFileSync(path.join(tmp.dir, 'tokens'), `${TOKEN} team write\nhf_readonly_0123456789 reader read team\n`);
    hub = await createHubServer({
      dataDir: path.join(tmp.dir, 'data'),
      tokensFile: path.join(tmp.dir, 'tokens'),
      log: (l) => log.push(l),
    });
    const d = (p: string): string => {
      mkdirSync(path.join(tmp.dir, p), { recursive: true });
      return path.join(tmp.dir, p);
    };
    // a prepared folder; an ONNX export
    for (const f of ['open_clip_model.safetensors', 'open_clip_config.json'])
      copyFileSync(fixture('tiny-vit-gelu', f), path.join(d('model'), f));
    writeFileSync(path.join(d('onnx'), 'cliphub.json'), '{"opset":17}\n');
    // a raw torch.save checkpoint with its config and tokenizer files beside it
    for (const f of ['open_clip_pytorch_model.bin', 'open_clip_config.json'])
      copyFileSync(fixture('tiny-vit-gelu', f), path.join(d('raw'), f));
    for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.json'])
      writeFileSync(path.join(tmp.dir, 'raw', f), `{"file": "${f}"}\n`);
    // an open_clip_train checkpoint alone; its config elsewhere (--model local-dir:)
    copyFileSync(fixture('tiny-vit-quickgelu', 'epoch_1.pt'), path.join(d('train'), 'epoch_1.pt'));
    copyFileSync(fixture('tiny-vit-quickgelu', 'open_clip_config.json'), path.join(d('cfg'), 'open_clip_config.json'));
    writeFileSync(path.join(tmp.dir, 'validation.json'), JSON.stringify(validationReport));
  });
  afterAll(async () => {
    await hub.close();
    tmp.cleanup();
  });

  it('dry-runs, pushes with a card and ONNX, pulls byte-identical, and never prints the token', async () => {
    const pushModel = (...flags: string[]) =>
      run(['push', 'model', '--repo', 'team/tiny', '--hub-url', hub.url, '--with-onnx', 'onnx', ...flags]);
    const dry = await pushModel('--dry-run');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/upload lfs .*open_clip_model\.safetensors/);
    expect(dry.stdout).toMatch(/dry run: would upload/);
    expect(log.some((l) => / POST /.test(l))).toBe(false); // nothing created or uploaded

    const push = await pushModel('--json');
    expect(push.code).toBe(0);
    const res = JSON.parse(push.stdout) as {
      commit: string;
      files: Array<{ path: string; action: string }>;
      conversion: unknown;
    };
    expect(res.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(res.conversion).toBeNull(); // a prepared folder is pushed as is
    expect(res.files.map((f) => f.path)).toEqual([
      'README.md',
      'onnx/cliphub.json',
      'open_clip_config.json',
      'open_clip_model.safetensors',
    ]);

    const again = await pushModel();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/already up to date; no commit made/);
    expect(again.stdout).toMatch(/README\.md \(existing card kept\)/);

    const pull = await run(['pull', 'hf-hub:team/tiny', '--hub-url', hub.url, '--cache-dir', 'cache', '--json']);
    expect(pull.code).toBe(0);
    const pulled = JSON.parse(pull.stdout) as { snapshotDir: string; commit: string };
    expect(pulled.commit).toBe(res.commit);
    for (const f of ['open_clip_model.safetensors', 'open_clip_config.json'])
      expect(readFileSync(path.join(pulled.snapshotDir, f)).equals(readFileSync(path.join(tmp.dir, 'model', f)))).toBe(
        true,
      );
    const card = readFileSync(path.join(pulled.snapshotDir, 'README.md'), 'utf8');
    expect(card).toMatch(/library_name: open_clip/);
    expect(card).toMatch(/- onnx/);
  });

  it('converts a raw torch.save .bin and an epoch_N.pt, uploads the original .bin, tokenizer files and a card with the validation summary', async () => {
    const staging = path.join(tmp.dir, 'staging');
    mkdirSync(staging);
    const raw = await run(
      [
        'push',
        'raw/open_clip_pytorch_model.bin',
        '--repo',
        'team/raw',
        '--hub-url',
        hub.url,
        '--also-bin',
        '--validation',
        'validation.json',
        '--license',
        'mit',
        '--dataset',
        'team/pairs',
        '--dataset',
        'laion/laion400m',
        '--json',
      ],
      { HF_TOKEN: TOKEN, TMPDIR: staging },
    );
    expect(raw.stderr).toBe('');
    expect(raw.code).toBe(0);
    const r1 = JSON.parse(raw.stdout) as {
      commit: string;
      files: Array<{ path: string; action: string; size: number }>;
      conversion: { format: string; verified: boolean; config: { source: string } };
      card: Record<string, unknown>;
    };
    expect(r1.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(r1.conversion).toMatchObject({ format: 'zip', verified: true, config: { source: 'config-file' } });
    expect(r1.files.map((f) => f.path)).toEqual([
      'README.md',
      'cliphub-validation.json', // the summary as data, for the server's model page
      'open_clip_config.json',
      'open_clip_model.safetensors',
      'open_clip_pytorch_model.bin',
      'special_tokens_map.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'vocab.json',
    ]);
    expect(r1.card).toEqual({ baseModel: null, architecture: null, pretrained: null, validation: 'pass' });

    const epochArgv = [
      'push',
      'train/epoch_1.pt',
      '--repo',
      'team/epoch',
      '--hub-url',
      hub.url,
      '--also-bin',
      '--model',
      'local-dir:cfg',
    ];
    const epoch = await run(epochArgv, { HF_TOKEN: TOKEN, TMPDIR: staging });
    expect(epoch.code).toBe(0);
    expect(epoch.stderr).toMatch(
      /converted epoch_1\.pt \(torch\.save\): \d+ tensors, .* verified; config from registry \(local-dir:.*cfg\), activation quickgelu/,
    );
    expect(epoch.stderr).toMatch(/training state included \(.*optimizer/);
    expect(epoch.stdout).toMatch(/upload lfs .* open_clip_pytorch_model\.bin/);
    expect(epoch.stdout).toMatch(/committed [0-9a-f]{40} to team\/epoch@main/);
    // both conversions happened in staging folders under TMPDIR, which are gone
    expect(readdirSync(staging)).toEqual([]);
    const noTmp = await run(
      ['push', 'train/epoch_1.pt', '--repo', 'team/epoch', '--hub-url', hub.url, '--model', 'local-dir:cfg'],
      { HF_TOKEN: TOKEN, TMPDIR: path.join(tmp.dir, 'no-such-dir') },
    );
    expect(noTmp.code).toBe(2);
    expect(noTmp.stderr).toMatch(/no-such-dir/);

    const again = await run(epochArgv);
    expect(again.stdout).toMatch(/already up to date; no commit made/); // conversion is deterministic

    if (!hasOracle) return;
    // open_clip loads both repos from the server and reproduces the reference embeddings
    const py = await pythonJsonAsync<Record<string, { image: number; text: number; bin: string; card: string }>>(
      `
import hashlib, json, sys, torch, open_clip
from huggingface_hub import hf_hub_download
from safetensors.torch import load_file
out = {}
for repo, ref in [('team/raw', sys.argv[2]), ('team/epoch', sys.argv[3])]:
    model, _ = open_clip.create_model_from_pretrained('hf-hub:' + repo, cache_dir=sys.argv[1])
    model.eval()
    r = load_file(ref)
    with torch.no_grad():
        img = model.encode_image(r['inputs.pixel_values'])
        txt = model.encode_text(r['inputs.input_ids'])
    binf = hf_hub_download(repo, 'open_clip_pytorch_model.bin', cache_dir=sys.argv[1])
    card = open(hf_hub_download(repo, 'README.md', cache_dir=sys.argv[1])).read()
    out[repo] = {'image': (img - r['cpu_fp32.image_embeds']).abs().max().item(), 'text': (txt - r['cpu_fp32.text_embeds']).abs().max().item(),
                 'bin': hashlib.sha256(open(binf, 'rb').read()).hexdigest(), 'card': card}
print(json.dumps(out))
`,
      [
        path.join(tmp.dir, 'pycache'),
        fixture('tiny-vit-gelu', 'reference.safetensors'),
        fixture('tiny-vit-quickgelu', 'reference.safetensors'),
      ],
      {
        HF_ENDPOINT: hub.url,
        HF_HUB_DISABLE_XET: '1',
        HF_TOKEN: TOKEN,
        HF_HUB_DISABLE_TELEMETRY: '1',
        HF_HUB_DISABLE_PROGRESS_BARS: '1',
      },
    );
    for (const repo of ['team/raw', 'team/epoch']) {
      expect(py[repo]!.image, repo).toBeLessThan(1e-5);
      expect(py[repo]!.text, repo).toBeLessThan(1e-5);
    }
    expect(py['team/raw']!.bin).toBe(sha256(fixture('tiny-vit-gelu', 'open_clip_pytorch_model.bin')));
    expect(py['team/epoch']!.bin).toBe(sha256(fixture('tiny-vit-quickgelu', 'epoch_1.pt'))); // the original bytes
    const card = py['team/raw']!.card;
    expect(card).toMatch(/^license: mit$/m);
    expect(card).toMatch(/^datasets:\n {2}- team\/pairs\n {2}- laion\/laion400m$/m);
    expect(card).toContain('cliphub validate: **passed**');
    expect(card).toContain(
      'Compared with reference reference.safetensors (cpu_fp32, tiny-vit-gelu), under tolerance profile fp32.',
    );
    expect(card).toContain('| image | 0.99999988 | 4.20e-7 | 3.10e-7 | pass |');
    expect(card).not.toContain('/somewhere');
    expect(card).toContain(
      'Converted with cliphub from `open_clip_pytorch_model.bin` (torch.save) to safetensors, activation gelu.',
    );
    expect(py['team/epoch']!.card).toContain(
      'Converted with cliphub from `epoch_1.pt` (torch.save) to safetensors, activation quickgelu.',
    );
  });

  it('pushes an hf-hub: spec from the local cache with base_model, and explains a spec whose weights are not cached', async () => {
    const cache = path.join(tmp.dir, 'hfcache');
    expect((await run(['pull', 'hf-hub:team/raw', '--hub-url', hub.url, '--cache-dir', cache])).code).toBe(0);
    const env = { HF_TOKEN: TOKEN, HF_HUB_CACHE: cache };
    const copy = await run(
      ['push', 'hf-hub:team/raw', '--repo', 'team/copy', '--hub-url', hub.url, '--also-bin', '--json'],
      env,
    );
    expect(copy.code).toBe(0);
    const r = JSON.parse(copy.stdout) as {
      files: Array<{ path: string }>;
      conversion: unknown;
      card: { baseModel: string };
    };
    expect(r.conversion).toBeNull(); // the snapshot is already in the Hub layout
    expect(r.card.baseModel).toBe('team/raw');
    expect(r.files.map((f) => f.path)).toContain('open_clip_pytorch_model.bin');
    expect(r.files.map((f) => f.path)).toContain('tokenizer.json');
    const card = await (
      await fetch(`${hub.url}/team/copy/resolve/main/README.md`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(card).toMatch(/^base_model: team\/raw$/m);

    const missing = await run(['push', 'hf-hub:team/nothing', '--repo', 'team/x', '--hub-url', hub.url], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /hf-hub:team\/nothing@main is not in the local Hugging Face cache .*cliphub pull hf-hub:team\/nothing/,
    );
    const tag = await run(['push', 'ViT-B-32:laion2b_s34b_b79k', '--repo', 'team/x', '--hub-url', hub.url], env);
    expect(tag.code).toBe(2);
    expect(tag.stderr).toMatch(
      /the weights of ViT-B-32:laion2b_s34b_b79k \(hf-hub:laion\/CLIP-ViT-B-32-laion2B-s34B-b79K, .*\) are not in the local Hugging Face cache/,
    );
    // cached, but not what the tag says: the conversion (registry config) refuses it before anything is pushed
    const snap = path.join(cache, 'models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K', 'snapshots', 'a'.repeat(40));
    mkdirSync(snap, { recursive: true });
    mkdirSync(path.join(cache, 'models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K', 'refs'));
    writeFileSync(path.join(cache, 'models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K', 'refs', 'main'), 'a'.repeat(40));
    copyFileSync(
      fixture('tiny-vit-gelu', 'open_clip_pytorch_model.bin'),
      path.join(snap, 'open_clip_pytorch_model.bin'),
    );
    const staging = path.join(tmp.dir, 'staging-wrong');
    mkdirSync(staging);
    const wrong = await run(['push', 'ViT-B-32:laion2b_s34b_b79k', '--repo', 'team/x', '--hub-url', hub.url], {
      ...env,
      TMPDIR: staging,
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/the weights do not match ViT-B-32:laion2b_s34b_b79k/);
    expect(readdirSync(staging)).toEqual([]); // the failed conversion's staging folder is gone too
    expect(log.some((l) => /team\/x/.test(l) && / POST /.test(l))).toBe(false);
  });

  it('puts registry facts in the card when the config is a registry architecture, and refuses a --model it contradicts', async () => {
    // the card is built from the config; the weights are not read for a prepared folder
    const b32 = await resolve('ViT-B-32', { registryFile: false });
    mkdirSync(path.join(tmp.dir, 'b32'));
    writeFileSync(
      path.join(tmp.dir, 'b32/open_clip_config.json'),
      JSON.stringify({ model_cfg: b32.modelCfg, preprocess_cfg: {} }),
    );
    copyFileSync(
      fixture('tiny-vit-gelu', 'open_clip_model.safetensors'),
      path.join(tmp.dir, 'b32/open_clip_model.safetensors'),
    );
    const tagged = await run([
      'push',
      'b32',
      '--repo',
      'team/b32',
      '--hub-url',
      hub.url,
      '--model',
      'ViT-B-32:laion2b_s34b_b79k',
      '--json',
    ]);
    expect(tagged.code).toBe(0);
    expect(JSON.parse(tagged.stdout).card).toMatchObject({
      architecture: 'ViT-B-32',
      pretrained: 'ViT-B-32:laion2b_s34b_b79k',
      baseModel: 'laion/CLIP-ViT-B-32-laion2B-s34B-b79K',
    });
    const card = await (
      await fetch(`${hub.url}/team/b32/resolve/main/README.md`, { headers: { Authorization: `Bearer ${TOKEN}` } })
    ).text();
    expect(card).toMatch(/^base_model: laion\/CLIP-ViT-B-32-laion2B-s34B-b79K$/m);
    expect(card).toContain('| Parameters | 151.3 M |');
    expect(card).toMatch(/\| ImageNet-1k \| top-1 \| 0\.\d+ \|/);

    const bare = await run(['push', 'b32', '--repo', 'team/b32', '--hub-url', hub.url, '--dry-run', '--json']);
    expect(JSON.parse(bare.stdout).card).toMatchObject({ architecture: 'ViT-B-32', pretrained: null, baseModel: null });

    const contra = await run([
      'push',
      'model',
      '--repo',
      'team/x',
      '--hub-url',
      hub.url,
      '--model',
      'ViT-B-32:laion2b_s34b_b79k',
    ]);
    expect(contra.code).toBe(2);
    expect(contra.stderr).toMatch(/does not match ViT-B-32:laion2b_s34b_b79k \(embed_dim, .*\); drop --model/);
  });

  it('refuses bad input with exit 2 and a push without a token or with a read-only one, without echoing the token', async () => {
    const none = await run(['push', 'model', '--repo', 'team/x', '--hub-url', hub.url], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No Hub token: set HF_TOKEN/);
    const ro = await run(['push', 'model', '--repo', 'team/x', '--hub-url', hub.url], {
      HF_TOKEN: 'hf_readonly_0123456789',
    });
    expect(ro.code).toBe(1);
    expect(ro.stderr).toMatch(/read-only/);
    expect(ro.stderr).not.toContain('hf_readonly_0123456789');
    writeOversizeJson(path.join(tmp.dir, 'huge.json'), MAX_CONFIG_FILE_BYTES);
    mkdirSync(path.join(tmp.dir, 'huge-config'));
    copyFileSync(
      path.join(tmp.dir, 'model/open_clip_model.safetensors'),
      path.join(tmp.dir, 'huge-config/open_clip_model.safetensors'),
    );
    writeOversizeJson(path.join(tmp.dir, 'huge-config/open_clip_config.json'), MAX_CONFIG_FILE_BYTES);
    const cases: Array<[string[], RegExp]> = [
      [['onnx'], /no checkpoint in '.*onnx'/],
      [['nowhere'], /'nowhere' is neither a file, a folder nor a model spec/],
      [
        ['model', '--also-bin'],
        /--also-bin: .* holds no open_clip_pytorch_model\.bin, and cliphub does not write pickles/,
      ],
      [['model', '--validation', 'tokens'], /cannot read tokens as JSON/],
      [['model', '--validation', 'huge.json'], /cannot read huge\.json as JSON \(validation report .* is over 8 MiB/],
      [['huge-config'], /huge-config\/open_clip_config\.json is not valid JSON \(config .* is over 8 MiB/],
      [
        ['model', '--validation', 'model/open_clip_config.json'],
        /model\/open_clip_config\.json is not a 'cliphub validate --json' report/,
      ],
      [['model', '--license', 'MIT License'], /--license 'MIT License' is not a Hub license id/],
      [['model', '--dtype', 'int4'], /--dtype must be one of fp32, fp16, bf16/],
    ];
    for (const [args, msg] of cases) {
      const r = await run(['push', ...args, '--repo', 'team/x', '--hub-url', hub.url]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(msg);
    }
    expect(existsSync(path.join(tmp.dir, 'data'))).toBe(true);
    expect(log.some((l) => /team\/x/.test(l) && / POST /.test(l))).toBe(false);
    // no output of any test in this file, nor the server log, carries the token
    for (const t of outputs) expect(JSON.stringify(t())).not.toContain(TOKEN);
    expect(log.join('\n')).not.toContain(TOKEN);
  });
});
