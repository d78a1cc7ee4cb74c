import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { embedImages, embedTexts, loadModel, npyBytes, type ClipModel, type ExecutionProvider } from '@cliphub/runtime';
import { bytesSource, writeSafetensors } from '@cliphub/safetensors';
import { EXIT_BAD_INPUT, parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';
import { createProgress } from '../progress.js';

const usage = `Usage: cliphub embed --model DIR (--images DIR|FILE... | --texts FILE | --text "...") --out FILE [options]

Embeds images and/or texts with an exported model (a dir made by \`cliphub convert --to onnx\`),
preprocessing and tokenizing exactly as open_clip does.

Inputs:
  --images PATH...     image files, or a dir (its images, sorted by name); more paths may follow
  --texts FILE         one text per line (N = number of lines; blank lines are embedded too)
  --text "..."         a text (repeatable)

Options:
  --model DIR          the export dir (holds cliphub.json)
  --out FILE           output file (required)
  --format F           safetensors | npy | jsonl (default: from --out's extension, else safetensors)
  --batch N            items per forward pass (default 16)
  --normalize          L2-normalize the embeddings
  --keep-going         skip unreadable images, embed the rest, report them (exit code stays 2)
  --device D           cpu (default) | cuda (needs onnxruntime-node's CUDA files; see the runtime README)
  --threads N          onnxruntime intra-op threads (default: onnxruntime's choice)
  --vocab FILE         CLIP BPE vocab: bpe_simple_vocab_16e6.txt.gz or a CLIP merges.txt. Without it: the model
                       dir, then the copy bundled with cliphub (no network). With $CLIPHUB_VOCAB_REPO set: that
                       repo's merges.txt from the Hub cache, fetched there once at $HF_ENDPOINT (CLIPHUB_OFFLINE=1
                       or HF_HUB_OFFLINE=1 never fetches)
  --json               print a machine-readable summary on stdout
  -h, --help           this help

Output: npy is one float32 [N, D] array in input order (images or texts, not both); safetensors holds
image_embeds / text_embeds with the inputs listed in its metadata; jsonl has one object per input.
Texts longer than the context are truncated (EOT kept) and counted in a warning.
Exit codes: 0 ok, 2 bad input (named; with --keep-going the other inputs are still written).
`;

const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.webp', '.gif', '.bmp', '.tif', '.tiff', '.avif']);
const FORMATS = ['safetensors', 'npy', 'jsonl'] as const;
type Format = (typeof FORMATS)[number];

/** Expands dirs into their image files (sorted, not recursive); plain paths pass through for the decoder to judge. */
async function listImages(paths: string[], cwd: string): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const abs = path.resolve(cwd, p);
    const st = await stat(abs).catch(() => null);
    if (st?.isDirectory()) {
      const names = (await readdir(abs)).filter((n) => IMAGE_EXT.has(path.extname(n).toLowerCase())).sort();
      if (names.length === 0)
        throw new UsageError(
          `${abs} holds no images (${[...IMAGE_EXT].join(' ')}); point --images at image files or a dir of them`,
        );
      out.push(...names.map((n) => path.join(abs, n)));
    } else out.push(abs);
  }
  return out;
}

async function readTexts(file: string, cwd: string): Promise<string[]> {
  const abs = path.resolve(cwd, file);
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (e) {
    throw new UsageError(
      `cannot read the texts file ${abs} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`,
    );
  }
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop(); // the final newline ends the last line; it does not start a new one
  if (lines.length === 0 || lines.every((l) => l.trim() === ''))
    throw new UsageError(`the texts file ${abs} is empty; put one text per line`);
  return lines;
}

function formatFor(out: string, flag: string | undefined): Format {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag))
      throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, not '${flag}'`);
    return flag as Format;
  }
  const ext = path.extname(out).slice(1).toLowerCase();
  return (FORMATS as readonly string[]).includes(ext) ? (ext as Format) : 'safetensors';
}

function positiveInt(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer, not '${v}'`);
  return n;
}

/** An items/s progress bar on a TTY, finished with a newline once everything is done. */
function itemProgress(io: CommandIO, total: number, title: string, enabled: boolean): (done: number) => void {
  const bar = createProgress(io.stderr, total, title, enabled, 'items');
  return (done) => {
    if (done >= total) bar.finish();
    else bar.update(done);
  };
}

interface Part {
  kind: 'image' | 'text';
  data: Float32Array;
  dim: number;
  /** what each row came from: a path or a text */
  inputs: string[];
  seconds: number;
}

const f32Bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

async function writeOut(file: string, format: Format, parts: Part[], model: ClipModel): Promise<void> {
  if (format === 'npy') {
    if (parts.length !== 1)
      throw new UsageError('npy holds one array: embed images or texts, not both (or use --format safetensors|jsonl)');
    const p = parts[0]!;
    await writeFile(file, npyBytes(p.data, [p.inputs.length, p.dim]));
  } else if (format === 'safetensors') {
    const metadata: Record<string, string> = { model: model.dir, source_sha256: model.manifest.source.sha256 };
    for (const p of parts) metadata[`${p.kind}_inputs`] = JSON.stringify(p.inputs);
    await writeSafetensors(
      file,
      parts.map((p) => bytesSource(`${p.kind}_embeds`, 'F32', [p.inputs.length, p.dim], f32Bytes(p.data))),
      { metadata },
    );
  } else {
    const lines: string[] = [];
    for (const p of parts) {
      p.inputs.forEach((input, i) => {
        const embedding = Array.from(p.data.subarray(i * p.dim, (i + 1) * p.dim));
        lines.push(JSON.stringify(p.kind === 'image' ? { image: input, embedding } : { text: input, embedding }));
      });
    }
    await writeFile(file, `${lines.join('\n')}\n`);
  }
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    model: { type: 'string' },
    images: { type: 'string', multiple: true },
    texts: { type: 'string' },
    text: { type: 'string', multiple: true },
    out: { type: 'string' },
    format: { type: 'string' },
    batch: { type: 'string' },
    normalize: { type: 'boolean', default: false },
    'keep-going': { type: 'boolean', default: false },
    device: { type: 'string', default: 'cpu' },
    threads: { type: 'string' },
    vocab: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (!values.model) throw new UsageError('--model DIR is required (an export dir with cliphub.json)');
  if (!values.out) throw new UsageError('--out FILE is required');
  if (positionals.length > 0 && !values.images)
    throw new UsageError(`unexpected '${positionals[0]}': image paths follow --images`);
  if (values.texts && values.text) throw new UsageError('use --texts FILE or --text, not both');
  const imagePaths = values.images ? [...values.images, ...positionals] : [];
  const wantTexts = Boolean(values.texts || values.text);
  if (imagePaths.length === 0 && !wantTexts)
    throw new UsageError('nothing to embed: give --images, --texts FILE or --text');
  if (values.device !== 'cpu' && values.device !== 'cuda')
    throw new UsageError(`--device must be cpu or cuda, not '${values.device}'`);
  const batch = positiveInt(values.batch, '--batch');
  const threads = positiveInt(values.threads, '--threads');
  const out = path.resolve(io.cwd, values.out);
  const format = formatFor(out, values.format);
  if (format === 'npy' && imagePaths.length > 0 && wantTexts)
    throw new UsageError('npy holds one array: embed images or texts, not both (or use --format safetensors|jsonl)');

  const images = await listImages(imagePaths, io.cwd);
  const texts = values.texts ? await readTexts(values.texts, io.cwd) : (values.text ?? []);
  const model = await loadModel(path.resolve(io.cwd, values.model), {
    executionProvider: values.device as ExecutionProvider,
    intraOpThreads: threads,
    vocabPath: values.vocab ? path.resolve(io.cwd, values.vocab) : undefined,
    vocabFetch: { env: io.env, log: (line) => io.stderr.write(`cliphub: ${line}\n`) },
    towers: [...(images.length ? (['vision'] as const) : []), ...(wantTexts ? (['text'] as const) : [])],
  });
  const parts: Part[] = [];
  const skipped: Array<{ input: string; message: string }> = [];
  let truncated = 0;
  try {
    if (images.length) {
      const t0 = performance.now();
      const r = await embedImages(model, images, {
        batch,
        normalize: values.normalize,
        keepGoing: values['keep-going'],
        onProgress: itemProgress(io, images.length, 'images', !values.json),
      });
      for (const s of r.skipped) {
        skipped.push({ input: s.input, message: s.message });
        io.stderr.write(`cliphub: skipped ${s.input}: ${s.message}\n`);
      }
      parts.push({
        kind: 'image',
        data: r.data,
        dim: r.dim,
        inputs: r.indices.map((i) => images[i]!),
        seconds: (performance.now() - t0) / 1000,
      });
    }
    if (texts.length) {
      const t0 = performance.now();
      const r = await embedTexts(model, texts, {
        batch,
        normalize: values.normalize,
        onProgress: itemProgress(io, texts.length, 'texts', !values.json),
      });
      truncated = r.truncated;
      if (r.truncated > 0) {
        const where = values.texts
          ? ` (lines ${r.truncatedIndices
              .slice(0, 10)
              .map((i) => i + 1)
              .join(', ')}${r.truncated > 10 ? ', …' : ''})`
          : '';
        io.stderr.write(
          `cliphub: warning: ${r.truncated} text(s) longer than the ${model.manifest.tokenizer.contextLength}-token context were truncated${where}\n`,
        );
      }
      parts.push({
        kind: 'text',
        data: r.data,
        dim: r.dim,
        inputs: [...texts],
        seconds: (performance.now() - t0) / 1000,
      });
    }
    await writeOut(out, format, parts, model);
  } finally {
    await model.dispose();
  }

  const summary = {
    out,
    format,
    device: model.executionProvider,
    dim: model.embedDim,
    normalized: values.normalize || model.manifest.normalize,
    images: images.length
      ? { embedded: parts[0]!.inputs.length, skipped, perSecond: parts[0]!.inputs.length / parts[0]!.seconds }
      : null,
    texts: texts.length ? { embedded: texts.length, truncated, perSecond: texts.length / parts.at(-1)!.seconds } : null,
  };
  if (values.json) writeJson(io, summary);
  else {
    for (const p of parts) {
      io.stderr.write(
        `embedded ${p.inputs.length} ${p.kind}s in ${p.seconds.toFixed(2)} s (${(p.inputs.length / p.seconds).toFixed(1)} ${p.kind}s/s)\n`,
      );
    }
    io.stdout.write(
      `wrote ${parts.map((p) => `${p.kind}_embeds [${p.inputs.length}, ${p.dim}]`).join(' and ')} to ${out} (${format})\n`,
    );
  }
  if (skipped.length) {
    io.stderr.write(
      `cliphub: ${skipped.length} image(s) could not be read and were skipped; the output holds the other ${parts[0]!.inputs.length}\n`,
    );
    return EXIT_BAD_INPUT;
  }
  return 0;
}

const command: Command = { name: 'embed', summary: 'embed images and texts with an exported model (ONNX)', usage, run };
export default command;
