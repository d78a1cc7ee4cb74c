// Benchmark (not a test): one full-size model per tower family cliphub exports beyond ViT-B-32, with seeded
// random weights at the real shapes (cached under bench-out/onnx-export/families/). For each: fp32
// onnxruntime-node throughput of cliphub's graph versus (a) torch.onnx.export(dynamo=False)'s graph of the
// same module in the same onnxruntime and (b) PyTorch eager under torch.inference_mode with the same thread
// count, at batch 1 and 16; and the export time of cliphub versus torch.onnx.export. Every ratio comes from
// numbers measured in this one run, the two sides taking turns (TorchTurns). Run by bench/export-vs-torch.ts (npm run bench:onnx); only these with
// npm run bench -w @cliphub/onnx-export -- --only-families [--family convnext_base --family CoCa] [--secs 6]
// [--keep DIR]
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ort from 'onnxruntime-node';
import { benchInput, type InputShape } from './inputs.js';
import { interleavedFastestMs } from './interleave.js';
// source imports: the benchmark runs without a prior build
import { openSafetensors } from '@cliphub/safetensors';
import { exportOnnx, weightSourceFromSafetensors, type ModelCfg } from '../src/index.js';

type Tower = 'vision' | 'text';
interface Family {
  family: string;
  arch: string;
  tower: Tower;
}

/** The new families of issue 12, one full-size architecture and the tower that is new in it. */
export const FAMILIES: Family[] = [
  { family: 'ConvNeXt', arch: 'convnext_base', tower: 'vision' },
  { family: 'ViTamin', arch: 'ViTamin-S', tower: 'vision' },
  { family: 'EVA02', arch: 'EVA02-B-16', tower: 'vision' },
  { family: 'PE-Core', arch: 'PE-Core-B-16', tower: 'vision' },
  { family: 'MobileCLIP2 (FastViT)', arch: 'MobileCLIP2-S0', tower: 'vision' },
  { family: 'MobileCLIP (MCi ViT)', arch: 'MobileCLIP-B', tower: 'vision' },
  { family: 'HF text (XLM-RoBERTa)', arch: 'xlm-roberta-base-ViT-B-32', tower: 'text' },
  { family: 'CoCa', arch: 'coca_ViT-B-32', tower: 'vision' },
  { family: 'CoCa', arch: 'coca_ViT-B-32', tower: 'text' },
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const python = path.join(root, '.oracle/venv/bin/python');
const hfConfigs = path.resolve(root, '../shared/upstream/hf-text-configs.json');
const cacheDir = path.join(root, 'bench-out/onnx-export/families'); // gitignored

// Seeded weights of the tower (cached), then turns of torch.onnx.export or eager on request. Hugging Face text towers
// are built from their public config.json values (no Hub here), as open_clip builds them with pretrained_hf=False.
const PY_TORCH = `
import json, os, sys, time, torch, transformers, open_clip
from safetensors.torch import save_file
arch, tower, cache, out, threads, hf_path = sys.argv[1:7]
threads = int(threads)
torch.set_num_threads(threads)
torch.manual_seed(0)
hf = {k: v for k, v in json.load(open(hf_path)).items() if not k.startswith('_')}
def from_pretrained(name, *a, **k):
    values = dict(hf[name]); return transformers.AutoConfig.for_model(values.pop('model_type'), **values)
transformers.AutoConfig.from_pretrained = from_pretrained
cfg = open_clip.get_model_config(arch)
# pixels at the config's image size, or a 5-token prompt at the context with the tokenizer's start/end/pad ids
size = cfg['vision_cfg'].get('image_size', 224)
hf_name = cfg['text_cfg'].get('hf_model_name') or ''
shape = dict(size=size[0] if isinstance(size, (list, tuple)) else size, context=cfg['text_cfg'].get('context_length', 77),
             **(dict(bos=0, eos=2, pad=1) if 'roberta' in hf_name else dict(bos=49406, eos=49407, pad=0)))
model = open_clip.create_model(arch, pretrained=None, **({'pretrained_hf': False} if cfg['text_cfg'].get('hf_model_name') else {})).eval()
weights = os.path.join(cache, f'{tower}.safetensors')
if not os.path.exists(weights):
    keep = lambda k: k.startswith('visual.') == (tower == 'vision') or k.startswith('logit_')
    sd = {k: v.detach().clone().contiguous() for k, v in model.state_dict().items() if keep(k)}
    save_file(sd, weights + '.tmp'); os.replace(weights + '.tmp', weights)
    json.dump({'model_cfg': cfg}, open(os.path.join(cache, 'open_clip_config.json'), 'w'))
class M(torch.nn.Module):
    def __init__(s, m): super().__init__(); s.m = m
    def forward(s, x): return s.m.encode_image(x) if tower == 'vision' else s.m.encode_text(x)
mod = M(model)
def make(b):
    if tower == 'vision':
        n = b * 3 * shape['size'] ** 2
        return torch.sin(torch.arange(n, dtype=torch.float64)).float().reshape(b, 3, shape['size'], shape['size'])
    ids = torch.full((b, shape['context']), shape['pad'], dtype=torch.long)
    ids[:, :5] = torch.tensor([shape['bos'], 320, 1929, 539, shape['eos']])
    return ids
name = 'pixel_values' if tower == 'vision' else 'input_ids'
print('SHAPE ' + json.dumps(shape), flush=True)
# Then a server of turns, taken between cliphub's (see TorchTurns). 'export': torch.onnx.export to
# out/torch.onnx, answers its time or error. 'BATCH MS': one unmeasured eager forward (it shares the cores
# with ORT's still-spinning workers), then back-to-back forwards for MS (at least 3); answers the fastest in ms.
def export():
    try:
        t = time.perf_counter()
        torch.onnx.export(mod, (make(1),), f'{out}/torch.onnx', input_names=[name], output_names=['y'],
                          dynamic_axes={name: {0: 'batch'}, 'y': {0: 'batch'}}, opset_version=17, dynamo=False)
        return {'export_s': time.perf_counter() - t}
    except Exception as e:
        return {'export_error': f'{type(e).__name__}: {str(e).splitlines()[0][:160]}'}
inputs = {}
for line in sys.stdin:
    if line.strip() == 'export':
        print('EXPORT ' + json.dumps(export()), flush=True)
        continue
    b, ms = int(line.split()[0]), float(line.split()[1])
    with torch.inference_mode():
        x = inputs.setdefault(b, make(b))
        mod(x)
        fastest, until, runs = float('inf'), time.perf_counter() + ms / 1000, 0
        while runs < 3 or time.perf_counter() < until:
            t = time.perf_counter(); mod(x); fastest = min(fastest, time.perf_counter() - t); runs += 1
    print(f'BLOCK {fastest * 1000}', flush=True)
`;

/**
 * torch in a long-lived Python child that takes turns with cliphub: torch.onnx.export alternates with
 * exportOnnx, and eager blocks alternate with the ORT graphs' blocks (interleave.ts outsideTurns). Eager
 * runs in Python and the graphs in onnxruntime-node (cliphub's runtime), so they cannot share a process, but
 * alternating blocks of the same length, each scored by its fastest run, expose both to the same load on a
 * shared machine, which a separate eager phase before the ORT phase did not. Only one side runs at a time:
 * the other waits (the child blocks on stdin, Node awaits its answer).
 */
class TorchTurns {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: AsyncIterator<string>;
  private stderr = '';

  constructor(args: string[]) {
    this.child = spawn(python, ['-W', 'ignore', '-c', PY_TORCH, ...args]);
    this.child.stderr.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout })[Symbol.asyncIterator]();
  }

  /** The next line starting with `tag` (other output, such as torch.onnx.export's, is skipped). */
  private async next(tag: string): Promise<string> {
    for (;;) {
      const r = await this.lines.next();
      if (r.done) throw new Error(`python exited: ${this.stderr}`);
      if (r.value.startsWith(tag)) return r.value.slice(tag.length);
    }
  }

  /** The input shape the tower takes (once the weights are cached). */
  async shape(): Promise<InputShape> {
    return JSON.parse(await this.next('SHAPE ')) as InputShape;
  }

  /** One torch.onnx.export to out/torch.onnx: its time in seconds, or its error. */
  async export(): Promise<{ export_s?: number; export_error?: string }> {
    this.child.stdin.write('export\n');
    return JSON.parse(await this.next('EXPORT ')) as { export_s?: number; export_error?: string };
  }

  /** One eager turn at `batch`: the fastest forward (ms) of a block of `blockMs`. */
  async turn(batch: number, blockMs: number): Promise<number> {
    this.child.stdin.write(`${batch} ${blockMs}\n`);
    return Number(await this.next('BLOCK '));
  }

  close(): void {
    this.child.stdin.end();
  }
}

const ratio = (a: number, b: number) => (Number.isFinite(b) ? `${(a / b).toFixed(2)}x` : 'n/a');

async function benchFamily(f: Family, threads: number, secs: number, keep: string | null): Promise<void> {
  const cache = path.join(cacheDir, f.arch);
  mkdirSync(cache, { recursive: true });
  const out = keep ? path.join(keep, f.arch) : mkdtempSync(path.join(tmpdir(), 'cliphub-bench-family-'));
  mkdirSync(out, { recursive: true });
  let closeTorch = () => {};
  try {
    const torch = new TorchTurns([f.arch, f.tower, cache, out, String(threads), hfConfigs]);
    closeTorch = () => torch.close();
    const shape = await torch.shape();
    const cfg = (JSON.parse(readFileSync(path.join(cache, 'open_clip_config.json'), 'utf8')) as { model_cfg: ModelCfg })
      .model_cfg;

    // two turns each, torch first, each side scored by its faster export
    let exportS = Infinity;
    let torchExport = NaN;
    let torchError = '';
    for (let i = 0; i < 2; i++) {
      const turn = await torch.export();
      if (turn.export_s !== undefined)
        torchExport = Math.min(Number.isNaN(torchExport) ? Infinity : torchExport, turn.export_s);
      else torchError = turn.export_error ?? '';
      const file = await openSafetensors(path.join(cache, `${f.tower}.safetensors`));
      const t = performance.now();
      await exportOnnx(cfg, weightSourceFromSafetensors(file), out, { towers: [f.tower] });
      exportS = Math.min(exportS, (performance.now() - t) / 1000);
      await file.close();
    }
    const head = `${f.family} ${f.arch} ${f.tower}`;
    console.log(
      `${head}: export cliphub ${exportS.toFixed(2)} s, torch.onnx.export ${Number.isFinite(torchExport) ? `${torchExport.toFixed(2)} s` : `failed (${torchError})`} -> ${ratio(exportS, torchExport)} the time`,
    );
    const graphs = [
      path.join(out, `${f.tower}.onnx`),
      ...(Number.isFinite(torchExport) ? [path.join(out, 'torch.onnx')] : []),
    ];
    for (const b of [1, 16]) {
      const ms = await interleavedFastestMs(graphs, benchInput(f.tower, b, false, shape), {
        threads,
        secs: secs * (b > 1 ? 2 : 1),
        outsideTurns: [(blockMs) => torch.turn(b, blockMs)],
      });
      const perSecond = ms.map((x) => (b * 1000) / x);
      const ours = perSecond[0] as number;
      const eagerRate = perSecond[perSecond.length - 1] as number;
      const theirs = graphs.length > 1 ? perSecond[1] : undefined;
      console.log(
        `${head} b${b}/s: cliphub ${ours.toFixed(1)}, [torch-graph] ${theirs?.toFixed(1) ?? 'n/a'}, [eager] ${eagerRate.toFixed(1)}` +
          ` | vs [torch-graph] ${ratio(ours, theirs ?? NaN)}, vs [eager] ${ratio(ours, eagerRate)}`,
      );
    }
  } finally {
    closeTorch();
    if (!keep) rmSync(out, { recursive: true, force: true });
  }
}

/** Runs the families named with --family (all by default); a family that fails is reported and skipped. */
export async function benchFamilies(argv: string[], threads: number): Promise<void> {
  const named = argv.flatMap((a, i) => (argv[i - 1] === '--family' ? [a] : []));
  const secsAt = argv.indexOf('--secs');
  const secs = secsAt >= 0 ? Number(argv[secsAt + 1]) : 6;
  const keepAt = argv.indexOf('--keep'); // keeps both graphs under DIR/ARCH, for profiling
  const keep = keepAt >= 0 ? path.resolve(argv[keepAt + 1] ?? '.') : null;
  if (!existsSync(python) || !existsSync(hfConfigs))
    throw new Error('needs the oracle venv (.oracle/venv) and ../shared');
  console.log(
    `families, ${threads} threads, onnxruntime-node ${ort.env.versions.common}, fp32; baselines: [torch-graph] onnxruntime-node on torch.onnx.export(dynamo=False)'s graph; [eager] PyTorch eager, torch.inference_mode`,
  );
  for (const f of FAMILIES.filter((x) => named.length === 0 || named.includes(x.arch) || named.includes(x.family))) {
    try {
      await benchFamily(f, threads, secs, keep);
    } catch (e) {
      console.log(`${f.family} ${f.arch} ${f.tower}: failed: ${(e as Error).message.split('\n').slice(-3).join(' ')}`);
    }
  }
}
