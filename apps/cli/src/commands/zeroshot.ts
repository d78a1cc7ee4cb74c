import path from 'node:path';
import { loadModel, zeroShot, type ExecutionProvider } from '@cliphub/runtime';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';

const usage = `Usage: cliphub zeroshot --model DIR --image FILE --labels "a dog,a cat" [options]

Zero-shot classification of one image with an exported model (a dir made by \`cliphub convert --to onnx\`).
CLIP models: softmax over labels of logit_scale · cosine, with the model's own logit_scale (open_clip's
README hard-codes 100, which equals exp(logit_scale) only for fully trained models).
Models with a logit_bias (SigLIP-style): an independent sigmoid(logit_scale · cosine + logit_bias) per label.

Options:
  --model DIR          the export dir (holds cliphub.json)
  --image FILE         the image to classify
  --labels LIST        comma-separated labels
  --template T         prompt with {} for the label, e.g. "a photo of a {}." (repeatable: averaged per label)
  --device D           cpu (default) | cuda
  --vocab FILE         CLIP BPE vocab: bpe_simple_vocab_16e6.txt.gz or a CLIP merges.txt. Without it: the model
                       dir, then the copy bundled with cliphub (no network). With $CLIPHUB_VOCAB_REPO set: that
                       repo's merges.txt from the Hub cache, fetched there once at $HF_ENDPOINT (CLIPHUB_OFFLINE=1
                       or HF_HUB_OFFLINE=1 never fetches)
  --json               print the result as JSON
  -h, --help           this help

Exit codes: 0 ok, 2 bad input.
`;

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    argv,
    {
      model: { type: 'string' },
      image: { type: 'string' },
      labels: { type: 'string' },
      template: { type: 'string', multiple: true },
      device: { type: 'string', default: 'cpu' },
      vocab: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    { allowPositionals: false },
  );
  void positionals;
  if (!values.model) throw new UsageError('--model DIR is required (an export dir with cliphub.json)');
  if (!values.image) throw new UsageError('--image FILE is required');
  if (!values.labels) throw new UsageError('--labels "a dog,a cat" is required');
  const labels = values.labels.split(',').map((l) => l.trim());
  if (labels.some((l) => l === ''))
    throw new UsageError(`--labels has an empty label in '${values.labels}'; separate non-empty labels with commas`);
  if (values.device !== 'cpu' && values.device !== 'cuda')
    throw new UsageError(`--device must be cpu or cuda, not '${values.device}'`);
  const model = await loadModel(path.resolve(io.cwd, values.model), {
    executionProvider: values.device as ExecutionProvider,
    vocabPath: values.vocab ? path.resolve(io.cwd, values.vocab) : undefined,
    vocabFetch: { env: io.env, log: (line) => io.stderr.write(`cliphub: ${line}\n`) },
  });
  try {
    const r = await zeroShot(model, path.resolve(io.cwd, values.image), labels, { templates: values.template });
    if (r.truncated > 0)
      io.stderr.write(`cliphub: warning: ${r.truncated} prompt(s) longer than the context were truncated\n`);
    if (values.json) {
      writeJson(io, {
        image: path.resolve(io.cwd, values.image),
        activation: r.activation,
        logitScale: r.logitScale,
        logitBias: r.logitBias,
        labels: r.labels.map((label, i) => ({ label, prob: r.probs[i], logit: r.logits[i] })),
      });
      return 0;
    }
    const how =
      r.activation === 'softmax'
        ? `softmax, logit_scale ${r.logitScale.toFixed(4)}`
        : `sigmoid, logit_scale ${r.logitScale.toFixed(4)}, logit_bias ${r.logitBias}`;
    io.stdout.write(`${path.basename(values.image)} (${how})\n`);
    const width = Math.max(...labels.map((l) => l.length));
    const order = r.probs.map((p, i) => [p, i] as const).sort((a, b) => b[0] - a[0]);
    for (const [p, i] of order) io.stdout.write(`  ${labels[i]!.padEnd(width)}  ${p.toFixed(6)}\n`);
    return 0;
  } finally {
    await model.dispose();
  }
}

const command: Command = {
  name: 'zeroshot',
  summary: 'zero-shot classify an image with an exported model',
  usage,
  run,
};
export default command;
