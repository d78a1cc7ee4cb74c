import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  type Dirent,
} from 'node:fs';
import path from 'node:path';
import { onExit } from 'signal-exit';
import { openSource, weightSourceFromOpened, type ActivationFlag } from '@cliphub/convert';
import { exportOnnx, type ExportDType, type ExportResult } from '@cliphub/onnx-export';
import { fileSha256 } from '@cliphub/core';
import { manifestFromExport, writeManifest } from '@cliphub/model-manifest';
import { BUNDLED_BPE_VOCAB, parseBpeVocab } from '@cliphub/tokenizer';
import { clipTokenizerFiles } from './clip-tokenizer-files.js';
import { TransformersJsError } from './errors.js';
import { hfConfig } from './hf-config.js';
import { hfTokenizerFiles, type HfTokenizerLayout } from './hf-tokenizer-files.js';
import { readHfTokenizer } from './read-hf-tokenizer.js';
import { transformersJsFit } from './layout-fit.js';
import { preprocessorConfig } from './preprocessor-config.js';

export const LAYOUT_DTYPES = ['fp32', 'fp16', 'int8'] as const;
export type LayoutDtype = (typeof LAYOUT_DTYPES)[number];

/** The file-name suffix transformers.js's `dtype` option selects: fp32 '', fp16 '_fp16', q8 '_quantized'. */
export const DTYPE_SUFFIX: Record<LayoutDtype, string> = { fp32: '', fp16: '_fp16', int8: '_quantized' };
/** The transformers.js `dtype` value that loads each variant. */
export const TRANSFORMERS_JS_DTYPE: Record<LayoutDtype, 'fp32' | 'fp16' | 'q8'> = {
  fp32: 'fp32',
  fp16: 'fp16',
  int8: 'q8',
};
/** exportOnnx's file -> the name transformers.js loads (CLIPTextModelWithProjection, CLIPVisionModelWithProjection, CLIPModel). */
const GRAPH_NAMES = { 'text.onnx': 'text_model', 'vision.onnx': 'vision_model', 'model.onnx': 'model' } as const;

export interface TransformersJsOptions {
  input: string;
  outDir: string;
  model?: string;
  activation?: ActivationFlag;
  /** Replace an existing `outDir` (and let --activation contradict the config, as for other conversions). */
  force?: boolean;
  /** Variants to write (default fp32 only). */
  dtypes?: readonly LayoutDtype[];
  opset?: number;
  /**
   * For models with a Hugging Face tokenizer: the folder holding its tokenizer.json (+ tokenizer_config.json,
   * special_tokens_map.json). Default: the checkpoint's folder.
   */
  hfTokenizer?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface TransformersJsReport {
  input: string;
  checkpoint: string;
  outDir: string;
  files: string[];
  dtypes: LayoutDtype[];
  logitScale: number;
  logitBias: number | null;
  textSequence: 'dynamic' | number;
  seconds: number;
}

/** Parses a --dtype value: one variant or 'all'. */
export function parseLayoutDtypes(value: string | undefined): LayoutDtype[] {
  if (value === undefined) return ['fp32'];
  if (value === 'all') return [...LAYOUT_DTYPES];
  if ((LAYOUT_DTYPES as readonly string[]).includes(value)) return [value as LayoutDtype];
  throw new TransformersJsError(
    'BAD_DTYPE',
    `unknown --dtype '${value}' for --to transformers.js; use ${LAYOUT_DTYPES.join(', ')} or all`,
  );
}

const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/**
 * Writes `outDir` in the layout transformers.js 4.x loads: config.json, preprocessor_config.json, the CLIP BPE
 * tokenizer files, onnx/{text_model,vision_model,model}{,_fp16,_quantized}.onnx, open_clip_config.json and
 * cliphub.json. Everything is built in a sibling staging folder and renamed into place at the end, so a
 * failure leaves no partial folder.
 */
export async function convertToTransformersJs(options: TransformersJsOptions): Promise<TransformersJsReport> {
  const started = performance.now();
  const outDir = path.resolve(options.outDir);
  const dtypes = [...new Set<LayoutDtype>(options.dtypes ?? ['fp32'])];
  for (const d of dtypes) parseLayoutDtypes(d);
  if (existsSync(outDir) && !options.force) {
    throw new TransformersJsError(
      'OUT_EXISTS',
      `${outDir} already exists; choose another --out or pass --force to replace it`,
    );
  }
  const { located, weights, choice } = await openSource(options);
  const stage = path.join(
    path.dirname(outDir),
    `.${path.basename(outDir)}.cliphub-staging-${process.pid}-${Date.now()}`,
  );
  const removeExitHook = onExit(() => rmSync(stage, { recursive: true, force: true }));
  try {
    const preprocess = { ...choice.preprocessCfg } as Record<string, unknown>;
    const fit = transformersJsFit(choice.modelCfg, preprocess);
    if (!fit.fits) {
      throw new TransformersJsError(
        'NOT_EXPRESSIBLE',
        `transformers.js cannot run this model as open_clip does: its ${fit.part}: ${fit.reason}; convert it --to onnx for cliphub's runtime instead`,
      );
    }
    const text = choice.modelCfg.text_cfg as { context_length?: number; pool_type?: string; eos_id?: number };
    const contextLength = text.context_length ?? 77;
    let hfLayout: HfTokenizerLayout | null = null;
    if (fit.hfTokenizer !== null) {
      const dir = path.resolve(options.hfTokenizer ?? path.dirname(located.checkpoint));
      hfLayout = hfTokenizerFiles(readHfTokenizer(dir, fit.hfTokenizer), { contextLength, clean: fit.clean });
      // an eos-pooling tower finds the end token; the graph puts eos_id back where transformers.js cut it off
      const eosId = text.eos_id ?? 2;
      if (text.pool_type === 'eos' && hfLayout.endId !== eosId) {
        throw new TransformersJsError(
          'NOT_EXPRESSIBLE',
          `the text tower pools the end token ${eosId} (eos_id), but the tokenizer in ${dir} ends texts with ${String(hfLayout.endId)}; is it ${fit.hfTokenizer}'s?`,
        );
      }
    }
    mkdirSync(path.join(stage, 'onnx'), { recursive: true });
    const opset = options.opset ?? 17;
    const source = weightSourceFromOpened(weights);
    let fp32: ExportResult | null = null;
    let last: ExportResult | null = null;
    for (const [i, dtype] of dtypes.entries()) {
      const tmp = path.join(stage, `.export-${dtype}`);
      const result = await exportOnnx(choice.modelCfg, source, tmp, {
        dtype,
        opset,
        // standard ONNX ops only: the graphs also run on onnxruntime-web
        contribOps: false,
        hfTextInputs: true,
        combined: true,
        ...(hfLayout?.endId != null ? { textEndToken: { end: hfLayout.endId, pad: hfLayout.padId } } : {}),
        onProgress: (done, total) => options.onProgress?.(i * total + done, dtypes.length * total),
      });
      const files = [
        ...result.towers.map((t) => ({ p: t.path, ext: t.externalData })),
        ...(result.combined ? [{ p: result.combined.path, ext: null }] : []),
      ];
      if (files.some((f) => f.ext) || existsSync(`${result.combined?.path ?? ''}_data`)) {
        throw new TransformersJsError(
          'TOO_LARGE',
          `the ${dtype} graphs exceed protobuf's 2 GB limit; transformers.js's external-data layout is not written yet, use --dtype fp16 or int8`,
        );
      }
      for (const f of files) {
        const name = GRAPH_NAMES[path.basename(f.p) as keyof typeof GRAPH_NAMES];
        renameSync(f.p, path.join(stage, 'onnx', `${name}${DTYPE_SUFFIX[dtype]}.onnx`));
      }
      rmSync(tmp, { recursive: true, force: true });
      if (dtype === 'fp32') fp32 = result;
      last = result;
    }
    const result = (fp32 ?? last) as ExportResult;
    const textInput = result.towers.find((t) => t.tower === 'text')?.inputs[0];
    const activation = result.towers.find((t) => t.tower === 'text')?.activation ?? 'gelu';

    writeFileSync(
      path.join(stage, 'config.json'),
      json(
        hfConfig(choice.modelCfg, {
          logitScale: result.logitScale,
          logitBias: result.logitBias,
          imageSize: fit.imageSize,
          activation,
          modelType: fit.modelType,
          ...(hfLayout ? { tokenIds: { pad: hfLayout.padId, eos: hfLayout.endId } } : {}),
        }),
      ),
    );
    writeFileSync(path.join(stage, 'preprocessor_config.json'), json(preprocessorConfig(preprocess, fit.imageSize)));
    if (hfLayout) {
      for (const [name, content] of Object.entries(hfLayout.files))
        writeFileSync(path.join(stage, name), json(content));
    } else {
      const vocab = parseBpeVocab(readFileSync(BUNDLED_BPE_VOCAB), BUNDLED_BPE_VOCAB);
      const clean = fit.clean === 'whitespace' ? 'whitespace' : 'lower';
      for (const [name, content] of Object.entries(clipTokenizerFiles(vocab, { contextLength, clean })))
        writeFileSync(path.join(stage, name), json(content));
    }
    writeFileSync(
      path.join(stage, 'open_clip_config.json'),
      json({ model_cfg: choice.modelCfg, preprocess_cfg: choice.preprocessCfg }),
    );
    // cliphub's runtime loads the same folder: its manifest names the graphs of the first variant written
    const manifestDtype = fp32 ? 'fp32' : (dtypes[0] as ExportDType);
    const sha256 = await fileSha256(located.checkpoint);
    const manifest = manifestFromExport({
      source: { path: path.resolve(located.checkpoint), sha256 },
      modelCfg: choice.modelCfg as Parameters<typeof manifestFromExport>[0]['modelCfg'],
      preprocessCfg: preprocess,
      result,
      opset,
      dtype: manifestDtype,
      normalize: false,
    });
    // the manifest names files relative to the folder: the graphs live under onnx/
    for (const t of result.towers) {
      const entry = manifest.towers[t.tower];
      if (entry)
        entry.file = `onnx/${GRAPH_NAMES[path.basename(t.path) as keyof typeof GRAPH_NAMES]}${DTYPE_SUFFIX[manifestDtype]}.onnx`;
    }
    await writeManifest(stage, manifest);
    if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
    renameSync(stage, outDir);
    return {
      input: options.input,
      checkpoint: located.checkpoint,
      outDir,
      files: listFiles(outDir),
      dtypes,
      logitScale: result.logitScale,
      logitBias: result.logitBias,
      textSequence: textInput?.shape[1] === 'sequence' ? 'dynamic' : contextLength,
      seconds: (performance.now() - started) / 1000,
    };
  } finally {
    removeExitHook();
    rmSync(stage, { recursive: true, force: true });
    await weights.close();
  }
}

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSyncSorted(dir).flatMap((e) =>
    e.isDirectory() ? listFiles(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
  );
}

function readdirSyncSorted(dir: string): Dirent[] {
  return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
}
