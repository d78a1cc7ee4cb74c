import {
  convertToOnnx,
  convertToSafetensors,
  locateInput,
  type ConvertReport,
  type OnnxConvertReport,
  type OutputDtype,
  type ActivationFlag,
} from '@cliphub/convert';
import path from 'node:path';
import { convertToTransformersJs, parseLayoutDtypes, type TransformersJsReport } from '@cliphub/transformers-js';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';
import { formatBytes, lazyProgress } from '../progress.js';

const usage = `Usage: cliphub convert <input> --to safetensors|onnx|transformers.js --out DIR [options]

--to safetensors  writes open_clip's Hub layout: open_clip_model.safetensors + open_clip_config.json
--to onnx         writes vision.onnx (pixel_values -> image_embeds), text.onnx (input_ids ->
                  text_embeds), open_clip_config.json and cliphub.json (the runtime's manifest)
--to transformers.js  writes the folder transformers.js (@huggingface/transformers) loads: config.json,
                  preprocessor_config.json, tokenizer.json (+ config, special tokens),
                  onnx/{text_model,vision_model,model}.onnx (+ _fp16, _quantized), open_clip_config.json,
                  cliphub.json; exit 2 when transformers.js cannot express the model (says which part)
Nothing in the checkpoint is executed; tensors are streamed.

<input>   a checkpoint file (.bin/.pt zip or legacy pickle, open_clip_train epoch_N.pt,
          OpenAI TorchScript, .safetensors) or a directory holding one (an
          open_clip_config.json beside it is used); or a spec whose weights are in the
          local Hugging Face cache: hf-hub:ORG/NAME[@REV] or ARCH:TAG (cliphub pull fetches them).

Options:
  --to FORMAT          safetensors (default) | onnx | transformers.js
  --out DIR            output directory (required)
  --model SPEC         architecture from the registry (ARCH, ARCH:TAG, hf-hub:ORG/NAME, local-dir:PATH)
  --dtype D            safetensors: fp32 | fp16 | bf16 (default: keep the source dtypes)
                       onnx: fp32 (default) | fp16 | int8 (dynamic per-channel MatMul weights)
                       transformers.js: fp32 (default) | fp16 | int8 (q8: *_quantized.onnx) | all
  --activation A       quickgelu | gelu (needed when neither --model nor a config says)
  --force              let --activation contradict the model's config; transformers.js: replace --out
  --verify             safetensors: re-read the output and compare every tensor with the source
  --opset N            onnx: 17 (default) to 21
  --towers LIST        onnx: vision,text (default both)
  --normalize          onnx: end the graphs with L2 normalization
  --plain-onnx         onnx: standard ONNX ops only (fp32 otherwise uses onnxruntime's fused
                       com.microsoft Attention/Gelu/QuickGelu kernels; fp16 and int8 are always plain)
  --hf-config FILE     onnx: the config.json of a Hugging Face text tower (hf_model_name) cliphub does
                       not ship (default: a config.json beside the checkpoint)
  --hf-tokenizer DIR   transformers.js: the folder with the model's Hugging Face tokenizer files
                       (tokenizer.json, tokenizer_config.json, special_tokens_map.json) for models
                       naming one (SigLIP, XLM-V, ...); default: those files beside the checkpoint
  --json               print a machine-readable report
  -h, --help           this help

Exit codes: 0 ok, 1 verification failed, 2 bad input.
`;

const DTYPES = ['fp32', 'fp16', 'bf16'];
const ONNX_DTYPES = ['fp32', 'fp16', 'int8'];
const ACTIVATIONS = ['quickgelu', 'gelu'];

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    to: { type: 'string', default: 'safetensors' },
    out: { type: 'string' },
    model: { type: 'string' },
    dtype: { type: 'string' },
    activation: { type: 'string' },
    force: { type: 'boolean', default: false },
    verify: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    opset: { type: 'string' },
    towers: { type: 'string' },
    normalize: { type: 'boolean', default: false },
    'plain-onnx': { type: 'boolean', default: false },
    'hf-config': { type: 'string' },
    'hf-tokenizer': { type: 'string' },
  });
  if (positionals.length !== 1) throw new UsageError('convert takes exactly one <input> (see --help)');
  if (!values.out) throw new UsageError('--out DIR is required');
  if (values.to !== 'safetensors' && values.to !== 'onnx' && values.to !== 'transformers.js')
    throw new UsageError(`--to must be safetensors, onnx or transformers.js, not '${values.to}'`);
  const dtypes = values.to === 'onnx' ? ONNX_DTYPES : DTYPES;
  if (values.to !== 'transformers.js' && values.dtype && !dtypes.includes(values.dtype))
    throw new UsageError(`--dtype for --to ${values.to} must be one of ${dtypes.join(', ')}, not '${values.dtype}'`);
  if (values.activation && !ACTIVATIONS.includes(values.activation)) {
    throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, not '${values.activation}'`);
  }

  // Paths are taken relative to the caller's directory (io.cwd); specs come from the local Hub cache.
  const located = await locateInput(positionals[0] as string, { cwd: io.cwd, env: io.env });
  if (located.model && values.model) throw new UsageError(`${positionals[0]} already names the model; drop --model`);
  const input = located.path;
  values.model ??= located.model;
  values.out = path.resolve(io.cwd, values.out);
  if (values.to !== 'transformers.js' && values['hf-tokenizer'])
    throw new UsageError('--hf-tokenizer applies to --to transformers.js only');
  if (values.to === 'onnx') return runOnnx(input, values, io);
  if (values.to === 'transformers.js') return runTransformersJs(input, values, io);
  if (values.opset || values.towers || values.normalize || values['plain-onnx'] || values['hf-config'])
    throw new UsageError('--opset, --towers, --normalize, --plain-onnx and --hf-config apply to --to onnx only');

  const progress = lazyProgress(io.stderr, 'converting', !values.json);
  const report = await convertToSafetensors({
    input,
    outDir: values.out,
    model: values.model,
    dtype: values.dtype as OutputDtype | undefined,
    activation: values.activation as ActivationFlag | undefined,
    force: values.force,
    verify: values.verify,
    onProgress: (done, total) => progress.update(done, total),
  });
  progress.finish();
  if (values.json) writeJson(io, report);
  else io.stdout.write(summary(report));
  return 0;
}

interface OnnxFlags {
  out?: string;
  model?: string;
  dtype?: string;
  activation?: string;
  force?: boolean;
  json?: boolean;
  opset?: string;
  towers?: string;
  normalize?: boolean;
  verify?: boolean;
  'plain-onnx'?: boolean;
  'hf-config'?: string;
  'hf-tokenizer'?: string;
}

async function runOnnx(input: string, values: OnnxFlags, io: CommandIO): Promise<number> {
  if (values.verify)
    throw new UsageError('--verify applies to --to safetensors; check an ONNX export with `cliphub validate`');
  const basics = exportBasics(input, values);
  const towers = values.towers?.split(',').map((t) => t.trim());
  if (towers && (towers.length === 0 || towers.some((t) => t !== 'vision' && t !== 'text'))) {
    throw new UsageError(`--towers takes vision, text or vision,text, not '${values.towers}'`);
  }
  return exportWithProgress(
    values,
    io,
    (onProgress) =>
      convertToOnnx({
        ...basics,
        dtype: values.dtype as 'fp32' | 'fp16' | 'int8' | undefined,
        towers: towers as Array<'vision' | 'text'> | undefined,
        normalize: values.normalize,
        contribOps: !values['plain-onnx'],
        ...(values['hf-config'] ? { hfConfig: path.resolve(io.cwd, values['hf-config']) } : {}),
        onProgress,
      }),
    onnxSummary,
  );
}

async function runTransformersJs(input: string, values: OnnxFlags, io: CommandIO): Promise<number> {
  if (values.verify || values.towers || values.normalize || values['plain-onnx'])
    throw new UsageError(
      '--verify, --towers, --normalize and --plain-onnx do not apply to --to transformers.js (it always writes both towers, standard ONNX)',
    );
  const basics = exportBasics(input, values);
  const dtypes = parseLayoutDtypes(values.dtype);
  return exportWithProgress(
    values,
    io,
    (onProgress) =>
      convertToTransformersJs({
        ...basics,
        dtypes,
        ...(values['hf-tokenizer'] ? { hfTokenizer: path.resolve(io.cwd, values['hf-tokenizer']) } : {}),
        onProgress,
      }),
    transformersJsSummary,
  );
}

/** What every ONNX-writing target takes from the flags, with --opset checked. */
function exportBasics(input: string, values: OnnxFlags) {
  const opset = values.opset === undefined ? undefined : Number(values.opset);
  if (opset !== undefined && !Number.isInteger(opset))
    throw new UsageError(`--opset must be an integer, not '${values.opset}'`);
  return {
    input,
    outDir: values.out as string,
    model: values.model,
    activation: values.activation as ActivationFlag | undefined,
    force: values.force,
    opset,
  };
}

/** Runs an export with a progress line on stderr, then prints its report (JSON with --json, else a summary). */
async function exportWithProgress<Report>(
  values: OnnxFlags,
  io: CommandIO,
  run: (onProgress: (done: number, total: number) => void) => Promise<Report>,
  summary: (report: Report) => string,
): Promise<number> {
  const progress = lazyProgress(io.stderr, 'exporting', !values.json);
  const report = await run((done, total) => progress.update(done, total));
  progress.finish();
  if (values.json) writeJson(io, report);
  else io.stdout.write(summary(report));
  return 0;
}

function transformersJsSummary(r: TransformersJsReport): string {
  const seq = r.textSequence === 'dynamic' ? 'any text length' : `texts padded to ${r.textSequence}`;
  return `${[
    `wrote the transformers.js layout of ${r.checkpoint} -> ${r.outDir} in ${r.seconds.toFixed(2)} s (${r.dtypes.join(', ')}; ${seq})`,
    ...r.files.map((f) => `  ${f}`),
  ].join('\n')}\n`;
}

function onnxSummary(r: OnnxConvertReport): string {
  const lines = [
    `exported ${r.checkpoint} (${r.format}) -> ${r.outDir} in ${r.seconds.toFixed(2)} s (${r.dtype}, opset ${r.opset}${r.normalize ? ', normalized' : ''}${r.contribOps ? ', onnxruntime fused ops' : ', standard ONNX ops'})`,
  ];
  for (const t of r.towers) {
    const nodes = Object.entries(t.nodeCounts)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`)
      .join(', ');
    lines.push(
      `  ${t.file}${t.externalData ? ` + ${t.externalData}` : ''}: ${t.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(' ')} -> ${t.outputs.map((o) => `${o.name}[${o.shape.join(',')}]`).join(' ')}, ${t.activation}`,
    );
    lines.push(`    nodes: ${nodes}`);
  }
  lines.push(
    `  logit_scale ${r.logitScale.toFixed(4)} (exp ${Math.exp(r.logitScale).toFixed(2)})${r.logitBias !== null ? `, logit_bias ${r.logitBias.toFixed(4)}` : ''}`,
  );
  lines.push(
    `  config: ${r.config.source}${r.config.spec ? ` (${r.config.spec})` : ''}; activation: ${r.activation.value} (${r.activation.source})`,
  );
  for (const g of r.guesses) lines.push(`  note: ${g}`);
  return `${lines.join('\n')}\n`;
}

function summary(r: ConvertReport): string {
  const lines = [
    `converted ${r.checkpoint} (${r.format}) -> ${r.outputs.safetensors}`,
    `  ${r.tensors} tensors, ${formatBytes(r.bytes)}, dtype ${r.dtype}, ${r.seconds.toFixed(2)} s${r.verified ? ', verified' : ''}`,
    `  config: ${r.config.source}${r.config.spec ? ` (${r.config.spec})` : ''} -> ${r.outputs.config}`,
    `  activation: ${r.activation.value} (${r.activation.source})`,
  ];
  if (r.strippedPrefix) lines.push(`  stripped prefix '${r.strippedPrefix}'`);
  if (r.dropped.length) lines.push(`  dropped training state: ${r.dropped.join(', ')}`);
  if (r.extraBuffers.length) lines.push(`  dropped buffers open_clip rebuilds: ${r.extraBuffers.join(', ')}`);
  for (const g of r.guesses) lines.push(`  note: ${g}`);
  return `${lines.join('\n')}\n`;
}

const command: Command = { name: 'convert', summary: 'convert a checkpoint to safetensors or ONNX', usage, run };
export default command;
