import { convertToSafetensors, type ConvertReport, type OutputDtype, type ActivationFlag } from '@cliphub/convert';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';
import { createProgress, formatBytes } from '../progress.js';

const usage = `Usage: cliphub convert <input> --to safetensors --out DIR [options]

Converts an OpenCLIP checkpoint into open_clip's Hub layout (open_clip_model.safetensors +
open_clip_config.json). Nothing in the checkpoint is executed; tensors are streamed.

<input>   a checkpoint file (.bin/.pt zip or legacy pickle, open_clip_train epoch_N.pt,
          OpenAI TorchScript, .safetensors) or a directory holding one; an
          open_clip_config.json beside it is used.

Options:
  --to FORMAT          safetensors (default)
  --out DIR            output directory (required)
  --model SPEC         architecture from the registry (ARCH, ARCH:TAG, hf-hub:ORG/NAME, local-dir:PATH)
  --dtype D            fp32 | fp16 | bf16 (default: keep the source dtypes)
  --activation A       quickgelu | gelu (needed when neither --model nor a config says)
  --force              let --activation contradict the model's config
  --verify             re-read the output and compare every tensor with the source
  --json               print a machine-readable report
  -h, --help           this help

Exit codes: 0 ok, 1 verification failed, 2 bad input.
`;

const DTYPES = ['fp32', 'fp16', 'bf16'];
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
  });
  if (positionals.length !== 1) throw new UsageError('convert takes exactly one <input> (see --help)');
  if (!values.out) throw new UsageError('--out DIR is required');
  if (values.to !== 'safetensors') throw new UsageError(`--to ${values.to} is not supported; use --to safetensors`);
  if (values.dtype && !DTYPES.includes(values.dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, not '${values.dtype}'`);
  if (values.activation && !ACTIVATIONS.includes(values.activation)) {
    throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, not '${values.activation}'`);
  }

  let progress: ReturnType<typeof createProgress> | null = null;
  const report = await convertToSafetensors({
    input: positionals[0] as string,
    outDir: values.out,
    model: values.model,
    dtype: values.dtype as OutputDtype | undefined,
    activation: values.activation as ActivationFlag | undefined,
    force: values.force,
    verify: values.verify,
    onProgress: (done, total) => {
      progress ??= createProgress(io.stderr, total, 'converting', !values.json);
      progress.update(done);
    },
  });
  (progress as ReturnType<typeof createProgress> | null)?.finish();
  if (values.json) writeJson(io, report);
  else io.stdout.write(summary(report));
  return 0;
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

const command: Command = { name: 'convert', summary: 'convert a checkpoint to safetensors + open_clip_config.json', usage, run };
export default command;
