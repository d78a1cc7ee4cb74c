import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  convertToSafetensors,
  locateInput,
  type ActivationFlag,
  type ConvertReport,
  type OutputDtype,
} from '@cliphub/convert';
import {
  CHECKPOINT_FORMAT_NAMES,
  discoverToken,
  findTokenizerFiles,
  HubClientError,
  listFolder,
  hubUrlFrom,
  matchArchitecture,
  modelCfgDiff,
  OPEN_CLIP_MODEL_FILES,
  parseRepoId,
  publishModel,
  registryCardFacts,
  requireToken,
  summarizeValidation,
  type ModelCardFacts,
  type PushResult,
  type ValidationSummary,
} from '@cliphub/hub';
import {
  listArchitectures,
  listPretrained,
  makeDefaultHubConfigLoader,
  parseSpec,
  resolve,
  type PretrainedEntry,
} from '@cliphub/registry';
import { readTransformersJsLayout, type LayoutDtype } from '@cliphub/transformers-js';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';
import { createProgress, formatBytes, lazyProgress } from '../progress.js';
import { readSmallJsonFile } from '@cliphub/core';

const usage = `Usage: cliphub push <dir|checkpoint|spec> --repo ORG/NAME [options]

Publishes an OpenCLIP model in one commit, in the layout open_clip's hf-hub: loader reads:
open_clip_model.safetensors, open_clip_config.json, tokenizer files when the model has them,
a README.md model card, and optionally the ONNX export and the original .bin.

<dir|checkpoint|spec>
  a prepared folder      open_clip_model.safetensors + open_clip_config.json: pushed as is
  a transformers.js dir  made by 'cliphub convert --to transformers.js': pushed as is (onnx/ included);
                         the card shows the transformers.js snippet
  a checkpoint           .bin/.pt (torch.save or legacy pickle), open_clip_train epoch_N.pt,
                         OpenAI TorchScript, .safetensors, or a folder holding one: converted
                         (streamed, every tensor verified) into a temp folder that is pushed, then removed
  a spec                 ARCH:TAG or hf-hub:ORG/NAME[@REV]: taken from the local Hugging Face cache
                         (fill it with 'cliphub pull'; nothing is downloaded) and converted when
                         needed; ARCH:TAG always gets the registry's config

Files already on the target revision are skipped; a second identical push makes no commit.
The token comes from HF_TOKEN or ~/.cache/huggingface/token and is never printed.

Options:
  --repo ORG/NAME      target repo (created when missing)
  --private            create the repo private
  --pr                 open a pull request instead of committing to the branch
  --revision BRANCH    target branch (created from main when missing; default main)
  --message M          commit title
  --hub-url URL        the Hub (default HF_ENDPOINT or https://huggingface.co)
  --with-onnx DIR      also upload an ONNX export (with its cliphub.json) under onnx/
  --also-bin           also upload open_clip_pytorch_model.bin: the original torch.save file
                       (cliphub never writes pickles, so a safetensors or TorchScript input has none)
  --model SPEC         the architecture for conversion (ARCH, ARCH:TAG, hf-hub:..., local-dir:PATH);
                       ARCH:TAG also puts open_clip's params, FLOPs and zero-shot results in the card
  --dtype D            convert to fp32 | fp16 | bf16 (converts a prepared folder too)
  --activation A       quickgelu | gelu, when neither --model nor a config says
  --force              let --activation contradict the model's config
  --validation FILE    a 'cliphub validate --json' report, summarised in the model card
  --license ID         license for the card's metadata (e.g. mit, apache-2.0, other)
  --dataset ID         training dataset for the card's metadata (repeatable)
  --overwrite-card     replace an existing README.md model card
  --dry-run            print the planned commit, upload nothing (a checkpoint is still converted,
                       to hash what would be sent)
  --json               print a machine-readable result

Exit codes: 0 ok, 1 the Hub refused or verification failed, 2 bad input.
`;

const DTYPES = ['fp32', 'fp16', 'bf16'];
const ACTIVATIONS = ['quickgelu', 'gelu'];

/** What is pushed, and what the card can say about where it came from. */
interface Source {
  /** Holds open_clip_model.safetensors + open_clip_config.json. */
  folder: string;
  /** Where tokenizer files may lie beside the model (the input folder, or the checkpoint's folder). */
  sourceDir: string;
  /** The folder is a transformers.js layout (pushed whole), with its dtype variants. */
  transformersJs?: { dtypes: LayoutDtype[]; modelType: 'clip' | 'siglip' };
  /** The original torch.save checkpoint, for --also-bin; null with the reason why. */
  torchSave: string | null;
  noTorchSave: string;
  report: ConvertReport | null;
  /** The Hub repo the weights were taken from, for base_model. */
  baseModel?: string;
  /** A registry spec the model is known to be (ARCH:TAG or hf-hub:), for the card's facts. */
  spec?: string;
}

interface PrepareOptions {
  model?: string;
  dtype?: OutputDtype;
  activation?: ActivationFlag;
  force?: boolean;
  env: NodeJS.ProcessEnv;
  progress: boolean;
  stderr: CommandIO['stderr'];
  staging: () => Promise<string>;
}

const isPrepared = (dir: string): boolean => OPEN_CLIP_MODEL_FILES.every((f) => existsSync(path.join(dir, f)));

/** A file or folder: pushed as is when prepared (and no dtype/activation change is asked), else converted. */
async function fromPath(abs: string, o: PrepareOptions): Promise<Source> {
  const isDir = statSync(abs).isDirectory();
  const dir = isDir ? abs : path.dirname(abs);
  const layout = isDir ? readTransformersJsLayout(abs) : null;
  if (layout && !isPrepared(abs)) {
    if (o.dtype || o.activation)
      throw new UsageError(
        `${abs} is a transformers.js layout, pushed as is; re-convert it to change --dtype or --activation`,
      );
    return {
      folder: abs,
      sourceDir: abs,
      transformersJs: layout,
      torchSave: null,
      noTorchSave: `${abs} is a transformers.js layout (ONNX graphs), with no torch.save checkpoint`,
      report: null,
    };
  }
  if (isDir && isPrepared(abs) && !o.dtype && !o.activation) {
    const bin = path.join(abs, 'open_clip_pytorch_model.bin');
    const has = existsSync(bin);
    return {
      folder: abs,
      sourceDir: abs,
      torchSave: has ? bin : null,
      noTorchSave: `${abs} holds no open_clip_pytorch_model.bin`,
      report: null,
    };
  }
  const out = await o.staging();
  const bar = lazyProgress(o.stderr, 'converting', o.progress);
  const report = await convertToSafetensors({
    input: abs,
    outDir: out,
    model: o.model,
    dtype: o.dtype,
    activation: o.activation,
    force: o.force,
    verify: true,
    onProgress: (done, total) => bar.update(done, total),
  });
  bar.finish();
  const torchSave = report.format === 'zip' || report.format === 'legacy' ? report.checkpoint : null;
  const noTorchSave = `${path.basename(report.checkpoint)} is ${report.format === 'torchscript' ? 'a TorchScript archive, not a torch.save state dict' : 'safetensors'}`;
  return { folder: out, sourceDir: dir, torchSave, noTorchSave, report };
}

/** The input as a path, a cached hf-hub: repo, or a cached ARCH:TAG (located by @cliphub/convert). */
async function prepare(input: string, cwd: string, o: PrepareOptions): Promise<Source> {
  const located = await locateInput(input, { cwd, env: o.env });
  if (located.model && o.model) throw new UsageError(`${input} already names the model; drop --model`);
  const src = await fromPath(located.path, located.model ? { ...o, model: located.model } : o);
  return located.spec ? { ...src, baseModel: located.baseModel, spec: located.spec } : src;
}

/**
 * open_clip's published facts for the model: the ARCH:TAG it was named by (input or --model), the
 * pair whose Hub repo it came from, or else the architecture whose config it matches exactly.
 * A --model that the pushed config contradicts is refused, so the card never states wrong numbers.
 */
async function registryFacts(
  src: Source,
  model: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<Partial<ModelCardFacts>> {
  const cfgFile = path.join(src.folder, 'open_clip_config.json');
  const modelCfg = (
    readSmallJsonFile(
      cfgFile,
      'config',
      (reason) =>
        new HubClientError(
          'BAD_CONFIG',
          `${cfgFile} is not valid JSON (${reason}); regenerate it with 'cliphub convert'`,
        ),
    ) as { model_cfg?: unknown } | null
  )?.model_cfg;
  const pairs = (): PretrainedEntry[] => listPretrained({}, { registryFile: false });
  const named = model ?? (src.spec && !src.spec.startsWith('hf-hub:') ? src.spec : undefined);
  if (named) {
    const r = await resolve(named, { hubConfigLoader: makeDefaultHubConfigLoader(env) });
    const diff = modelCfgDiff(modelCfg, r.modelCfg);
    if (diff.length)
      throw new HubClientError(
        'MODEL_MISMATCH',
        `the model's open_clip_config.json does not match ${named} (${diff.slice(0, 6).join(', ')} differ); drop --model or push the matching folder`,
      );
    const entry = r.arch && r.tag ? pairs().find((e) => e.arch === r.arch && e.tag === r.tag) : undefined;
    if (entry) return registryCardFacts(entry);
  }
  if (src.spec?.startsWith('hf-hub:')) {
    const repo = parseSpec(src.spec);
    const entry =
      repo.kind === 'hf-hub' ? pairs().find((e) => e.hfHub?.repo === repo.repo && e.hfHub.file === null) : undefined;
    if (entry && modelCfgDiff(modelCfg, (await resolve(entry.name)).modelCfg).length === 0)
      return registryCardFacts(entry);
  }
  const arch = matchArchitecture(modelCfg, listArchitectures());
  return arch ? registryCardFacts(arch) : {};
}

async function readValidation(file: string, shown: string): Promise<ValidationSummary> {
  const raw = readSmallJsonFile(
    file,
    'validation report',
    (reason) =>
      new HubClientError(
        'BAD_VALIDATION_REPORT',
        `cannot read ${shown} as JSON (${reason}); pass the file 'cliphub validate --json' wrote`,
      ),
  );
  return summarizeValidation(raw, shown);
}

/** Tokenizer files of the prepared folder, else of the folder the checkpoint came from. */
async function tokenizerFiles(src: Source): Promise<Array<{ path: string; file: string }>> {
  const found = await findTokenizerFiles(src.folder);
  for (const f of src.folder === src.sourceDir ? [] : await findTokenizerFiles(src.sourceDir))
    if (!found.some((g) => g.path === f.path)) found.push(f);
  return found;
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    repo: { type: 'string' },
    private: { type: 'boolean' },
    pr: { type: 'boolean' },
    revision: { type: 'string' },
    message: { type: 'string' },
    'dry-run': { type: 'boolean' },
    'hub-url': { type: 'string' },
    'with-onnx': { type: 'string' },
    'also-bin': { type: 'boolean' },
    model: { type: 'string' },
    dtype: { type: 'string' },
    activation: { type: 'string' },
    force: { type: 'boolean' },
    validation: { type: 'string' },
    license: { type: 'string' },
    dataset: { type: 'string', multiple: true },
    'overwrite-card': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  const input = positionals[0];
  if (!input || positionals.length > 1)
    throw new UsageError('push takes exactly one folder, checkpoint or spec (see --help)');
  if (!values.repo) throw new UsageError('--repo ORG/NAME is required');
  const repo = parseRepoId(values.repo);
  if (values.dtype && !DTYPES.includes(values.dtype))
    throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}, not '${values.dtype}'`);
  if (values.activation && !ACTIVATIONS.includes(values.activation))
    throw new UsageError(`--activation must be one of ${ACTIVATIONS.join(', ')}, not '${values.activation}'`);
  // the Hub's license ids are lowercase SPDX-like names; its YAML validation rejects anything else
  if (values.license && !/^[a-z0-9][a-z0-9.+-]*$/.test(values.license))
    throw new UsageError(
      `--license '${values.license}' is not a Hub license id; use e.g. mit, apache-2.0, cc-by-4.0 or other`,
    );
  const datasets = values.dataset ?? [];
  for (const d of datasets)
    if (!/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)?$/.test(d))
      throw new UsageError(`--dataset '${d}' is not a dataset id; use NAME or ORG/NAME`);
  const onnx = values['with-onnx'] ? path.resolve(io.cwd, values['with-onnx']) : undefined;
  const hubUrl = hubUrlFrom(io.env, values['hub-url']);
  // fail before a long conversion, with the message publishModel would give
  const token = values['dry-run'] ? discoverToken(io.env) : requireToken(io.env);
  const validation = values.validation
    ? await readValidation(path.resolve(io.cwd, values.validation), values.validation)
    : undefined;
  // local-dir: paths are relative to the caller's folder, not the process's
  const model = values.model?.startsWith('local-dir:')
    ? `local-dir:${path.resolve(io.cwd, values.model.slice('local-dir:'.length))}`
    : values.model;

  const staging: { dir: string | null } = { dir: null };
  try {
    const src = await prepare(input, io.cwd, {
      model,
      dtype: values.dtype as OutputDtype | undefined,
      activation: values.activation as ActivationFlag | undefined,
      force: values.force,
      env: io.env,
      progress: !values.json,
      stderr: io.stderr,
      // the caller's TMPDIR (io.env), so a large conversion can be pointed at a roomy disk
      staging: async () => (staging.dir = await mkdtemp(path.join(io.env.TMPDIR || tmpdir(), 'cliphub-push-staging-'))),
    });
    if (values['also-bin'] && !src.torchSave)
      throw new HubClientError(
        'NO_TORCH_SAVE_FILE',
        `--also-bin: ${src.noTorchSave}, and cliphub does not write pickles; push the original .bin/.pt (or a folder holding open_clip_pytorch_model.bin), or drop --also-bin`,
      );

    const extraFiles = src.transformersJs ? [] : await tokenizerFiles(src);
    if (values['also-bin'] && src.torchSave)
      extraFiles.push({ path: 'open_clip_pytorch_model.bin', file: src.torchSave });
    const files = src.transformersJs
      ? (await listFolder(src.folder)).filter((f) => f.path !== 'README.md')
      : [...OPEN_CLIP_MODEL_FILES.map((f) => ({ path: f })), ...extraFiles];
    const facts = await registryFacts(src, model, io.env);
    const baseModel = src.baseModel ?? facts.baseModel;

    const notes: string[] = [];
    if (src.report) {
      const r = src.report;
      notes.push(
        `converted ${path.basename(r.checkpoint)} (${CHECKPOINT_FORMAT_NAMES[r.format]}): ${r.tensors} tensors, ${formatBytes(r.bytes)}, verified; config from ${r.config.source}${r.config.spec ? ` (${r.config.spec})` : ''}, activation ${r.activation.value}`,
      );
      for (const g of r.guesses) notes.push(`note: ${g}`);
      if (values['also-bin'] && r.dropped.length)
        notes.push(
          `note: open_clip_pytorch_model.bin is the original file, training state included (${r.dropped.join(', ')})`,
        );
    } else if (!src.transformersJs) {
      const left = readdirSync(src.folder).filter(
        (f) => !f.startsWith('.') && f !== 'README.md' && !files.some((g) => g.path === f),
      );
      if (left.length)
        notes.push(
          `note: not part of the model, left out: ${left.join(', ')}${left.includes('open_clip_pytorch_model.bin') ? ' (--also-bin adds the .bin)' : ''}`,
        );
    }
    if (validation && !validation.passed)
      notes.push('warning: the validation report says FAILED; the model card says so too');
    if (!values.json) for (const n of notes) io.stderr.write(`${n}\n`);

    let total = 0;
    const bars = { current: createProgress(io.stderr, 1, 'push', false) };
    const result: PushResult = await publishModel({
      repo,
      modelDir: src.folder,
      extraFiles,
      wholeFolder: !!src.transformersJs,
      onnxDir: onnx,
      card: {
        ...(src.transformersJs && { transformersJs: src.transformersJs }),
        ...facts,
        baseModel: baseModel && baseModel !== repo ? baseModel : undefined,
        ...(values.license && { license: values.license }),
        ...(datasets.length && { datasets }),
        ...(validation && { validation }),
      },
      ...(src.report && {
        conversion: {
          checkpoint: src.report.checkpoint,
          format: src.report.format,
          verified: src.report.verified,
          dtype: src.report.dtype,
          activation: src.report.activation.value,
        },
      }),
      hubUrl,
      token,
      env: io.env,
      revision: values.revision,
      createPr: values.pr,
      private: values.private,
      message: values.message,
      dryRun: values['dry-run'],
      overwriteCard: values['overwrite-card'],
      onProgress: (p) => {
        if (p.phase !== 'uploading') return;
        if (p.bytesTotal !== total) {
          total = p.bytesTotal;
          bars.current = createProgress(io.stderr, total, 'upload', !values.json);
        }
        bars.current.update(p.bytesDone, p.path);
      },
    });
    if (total > 0) bars.current.finish();
    if (values.json) {
      const r = src.report;
      writeJson(io, {
        ...result,
        dryRun: !!values['dry-run'],
        // staging paths are gone by now: report what was converted, not where
        conversion: r && {
          checkpoint: path.basename(r.checkpoint),
          format: r.format,
          tensors: r.tensors,
          bytes: r.bytes,
          dtype: r.dtype,
          activation: r.activation,
          config: r.config,
          guesses: r.guesses,
          verified: r.verified,
        },
        card: {
          baseModel: baseModel && baseModel !== repo ? baseModel : null,
          architecture: facts.architecture ?? null,
          pretrained: facts.pretrained ?? null,
          validation: validation ? (validation.passed ? 'pass' : 'fail') : null,
        },
        notes,
      });
      return 0;
    }
    for (const f of result.files)
      io.stdout.write(
        `${f.action === 'upload' ? 'upload' : 'skip  '} ${f.lfs ? 'lfs    ' : 'regular'} ${formatBytes(f.size).padStart(9)}  ${f.path}${f.reason ? ` (${f.reason})` : ''}\n`,
      );
    if (values['dry-run'])
      io.stdout.write(
        `dry run: would upload ${formatBytes(result.uploadBytes)} to ${repo}@${result.revision}; nothing was sent\n`,
      );
    else if (!result.commit) io.stdout.write(`${repo}@${result.revision} already up to date; no commit made\n`);
    else
      io.stdout.write(
        `committed ${result.commit} to ${repo}@${result.revision}${result.pullRequestUrl ? ` (pull request ${result.pullRequestUrl})` : ''}\n`,
      );
    return 0;
  } finally {
    if (staging.dir) await rm(staging.dir, { recursive: true, force: true });
  }
}

const command: Command = { name: 'push', summary: 'publish a model folder to a Hub repo in one commit', usage, run };
export default command;
