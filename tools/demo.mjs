#!/usr/bin/env node
// `npm run demo`: every cliphub capability, end to end, on the bundled tiny model. No Python needed.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import sharp from 'sharp';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'apps/cli/dist/bin.js');
const model = path.join(root, 'examples/tiny-clip');
const out = path.join(root, 'demo-out');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const o = (p) => path.join(out, p);

// A local Hub for the publishing steps; a throwaway token that exists only in demo-out/.
const token = `hf_demo${Math.random().toString(36).slice(2)}`;
writeFileSync(o('tokens.txt'), `${token} demo write\n`);
// The same push twice: the second finds nothing changed.
const pushArgs = [
  'push',
  o('safetensors'),
  '--repo',
  'demo/tiny-clip',
  '--hub-url',
  'HUB',
  '--with-onnx',
  o('onnx'),
  '--validation',
  o('validation/report.json'),
];

// Three small images to embed and classify.
mkdirSync(o('images'), { recursive: true });
const colors = { red: [220, 40, 40], green: [40, 180, 60], blue: [40, 70, 220] };
for (const [name, [r, g, b]] of Object.entries(colors)) {
  await sharp({ create: { width: 96, height: 64, channels: 3, background: { r, g, b } } })
    .composite([
      { input: Buffer.from(`<svg width="96" height="64"><circle cx="48" cy="32" r="20" fill="white"/></svg>`) },
    ])
    .png()
    .toFile(o(`images/${name}.png`));
}
writeFileSync(o('texts.txt'), 'a red circle\na green circle\na blue circle\n');

const steps = [
  {
    title: 'The registry: every open_clip 3.3.0 tag, filtered and sorted',
    args: ['models', '--min-imagenet', '0.8', '--sort', 'imagenet'],
  },
  {
    title: 'One fully resolved model (config, preprocessing, activation per tower, weights)',
    args: ['models', 'show', 'ViT-B-32:openai'],
  },
  {
    title: 'Convert a torch.save checkpoint to safetensors (streamed, verified, no code executed)',
    args: ['convert', model, '--to', 'safetensors', '--out', o('safetensors'), '--verify'],
  },
  {
    title: 'The same, cast to fp16',
    args: ['convert', model, '--to', 'safetensors', '--dtype', 'fp16', '--out', o('safetensors-fp16'), '--verify'],
  },
  {
    title: 'Export both towers to ONNX, built from the weights in TypeScript (QuickGELU carried from the config)',
    args: ['convert', model, '--to', 'onnx', '--out', o('onnx')],
  },
  {
    title: 'The same, int8 (dynamic per-channel quantization of the MatMul weights)',
    args: ['convert', model, '--to', 'onnx', '--dtype', 'int8', '--out', o('onnx-int8')],
  },
  {
    title: "Validate the fp32 export against open_clip's reference embeddings (JSON, JUnit and HTML reports)",
    args: [
      'validate',
      o('onnx'),
      '--reference',
      path.join(model, 'reference.safetensors'),
      '--report',
      o('validation'),
    ],
  },
  {
    title: 'Validate the int8 export: the int8 tolerance profile is picked from its manifest',
    args: ['validate', o('onnx-int8'), '--reference', path.join(model, 'reference.safetensors')],
  },
  {
    title: 'Embed a folder of images with onnxruntime-node',
    args: ['embed', '--model', o('onnx'), '--images', o('images'), '--out', o('image_embeds.npy')],
  },
  {
    title: "Embed texts (open_clip-exact tokenizer; CLIP's BPE vocab ships with cliphub, no network needed)",
    args: ['embed', '--model', o('onnx'), '--texts', o('texts.txt'), '--out', o('text_embeds.safetensors')],
  },
  {
    title: 'Zero-shot classification of one image',
    args: [
      'zeroshot',
      '--model',
      o('onnx'),
      '--image',
      o('images/red.png'),
      '--labels',
      'red,green,blue',
      '--template',
      'a {} circle',
    ],
  },
  {
    title:
      'Publish safetensors + ONNX to a local Hub-compatible server (one commit, model card with the validation summary)',
    args: pushArgs,
    env: { HF_TOKEN: token },
  },
  {
    title: 'Push again: nothing changed, so no new commit',
    args: pushArgs,
    env: { HF_TOKEN: token },
  },
  {
    title: "Pull it into huggingface_hub's cache layout",
    args: ['pull', 'hf-hub:demo/tiny-clip', '--hub-url', 'HUB', '--cache-dir', o('hf-cache')],
    env: { HF_TOKEN: token },
  },
  {
    title: 'Plan a distillation run (checks and estimates before any GPU hour)',
    args: ['distill', 'plan', 'vit-l-14-openai-to-vit-b-32'],
  },
  {
    title: 'Emit its SLURM launch for open_clip_train',
    args: ['distill', 'emit', 'vit-l-14-openai-to-vit-b-32', '--launcher', 'slurm', '--out', o('distill')],
  },
];

const server = await startHub();
let failed = 0;
try {
  for (const [i, step] of steps.entries()) {
    const args = step.args.map((a) => (a === 'HUB' ? server.url : a));
    console.log(
      `\n== ${i + 1}/${steps.length} ${step.title}\n$ cliphub ${args.map((a) => (a.startsWith(root) ? path.relative(root, a) : a)).join(' ')}`,
    );
    const r = spawnSync(process.execPath, [cli, ...args], {
      stdio: 'inherit',
      cwd: root,
      env: { ...process.env, ...step.env },
    });
    if (r.status !== 0) {
      console.error(`demo step ${i + 1} exited ${r.status ?? r.signal}`);
      failed++;
    }
  }
} finally {
  server.stop();
}
console.log(
  failed
    ? `\ndemo: ${failed} of ${steps.length} steps failed`
    : `\ndemo: all ${steps.length} steps ok; outputs in ${path.relative(root, out)}/. Next: npx cliphub --help`,
);
process.exit(failed ? 1 : 0);

/** Starts `cliphub serve` on a free port and waits until it answers. */
async function startHub() {
  const child = spawn(
    process.execPath,
    [cli, 'serve', '--port', '0', '--data', o('hub-data'), '--tokens', o('tokens.txt')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  // The request log goes to a file so the demo output stays readable.
  const log = createWriteStream(o('hub.log'));
  child.stderr.pipe(log);
  const url = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /(http:\/\/127\.0\.0\.1:\d+)/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`cliphub serve exited ${code}`)));
    setTimeout(() => reject(new Error('cliphub serve did not start')), 15000);
  });
  console.log(`(local Hub at ${url}; data in demo-out/hub-data, request log in demo-out/hub.log)`);
  return { url, stop: () => child.kill('SIGTERM') };
}
