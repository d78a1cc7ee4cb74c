import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BuildCtx } from './blocks.js';
import { l2Normalize } from './blocks.js';
import { buildCocaText } from './build-coca-text.js';
import { buildHfText } from './build-hf-text.js';
import { buildText } from './build-text.js';
import { OnnxExportError } from './errors.js';
import { hfTextOptional, textWeights, type WeightShapes } from './expected-weights.js';
import { GraphBuilder } from './graph.js';
import { DataType, dataTypeName } from './proto.js';
import { restoreEndToken, restoreEot } from './restore-eot.js';
import { hfConfigUnknown, resolveText, resolveVision, type TextSpec, type VisionSpec } from './resolve-config.js';
import type { HfTextSpec } from './resolve-hf-text.js';
import { knownHfConfig } from './hf-configs.js';
import { toFloat32 } from './tensor-math.js';
import { towerSupport } from './tower-support.js';
import type { Activation, ExportOptions, ExportResult, ModelCfg, Tower, TowerExport, WeightSource } from './types.js';
import { validateWeights } from './validate-weights.js';
import { buildVision, fitVision, visionWeights } from './vision-towers.js';
import { WeightLoader } from './weight-loader.js';
import { externalDataName, writeModel } from './write-model.js';

export const SUPPORTED_OPSETS = [17, 18, 19, 20, 21] as const;
const DTYPES = ['fp32', 'fp16', 'int8'] as const;
const ACTIVATIONS: Activation[] = ['quick_gelu', 'gelu', 'gelu_tanh', 'relu'];
/** Protobuf cannot parse messages of 2 GiB or more; stay clear of it. */
export const DEFAULT_EXTERNAL_THRESHOLD = 1_900_000_000;
const VERSION = '0.1.0';

function checkOptions(options: ExportOptions): { towers: Tower[]; dtype: (typeof DTYPES)[number]; opset: number } {
  const dtype = options.dtype ?? 'fp32';
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new OnnxExportError(
      'BAD_DTYPE',
      `unknown ONNX export dtype '${String(dtype)}'; use one of ${DTYPES.join(', ')}`,
    );
  }
  const opset = options.opset ?? 17;
  if (!(SUPPORTED_OPSETS as readonly number[]).includes(opset)) {
    throw new OnnxExportError(
      'BAD_OPSET',
      `unsupported ONNX opset ${String(opset)}; use one of ${SUPPORTED_OPSETS.join(', ')} (17 is the default)`,
    );
  }
  const towers = options.towers ?? ['vision', 'text'];
  const bad = towers.filter((t) => t !== 'vision' && t !== 'text');
  if (!towers.length || bad.length || new Set(towers).size !== towers.length) {
    throw new OnnxExportError(
      'BAD_OPTION',
      `towers must be a non-empty list of distinct 'vision' and 'text', got ${JSON.stringify(towers)}`,
    );
  }
  for (const [t, a] of Object.entries(options.activation ?? {})) {
    if (a !== undefined && !ACTIVATIONS.includes(a)) {
      throw new OnnxExportError(
        'BAD_OPTION',
        `unknown activation '${String(a)}' for the ${t} tower; use one of ${ACTIVATIONS.join(', ')}`,
      );
    }
  }
  return { towers, dtype, opset };
}

interface Planned {
  tower: Tower;
  /** File name in the output dir. */
  file: string;
  graph: GraphBuilder;
  activation: Activation;
  inputs: TowerExport['inputs'];
  outputs: TowerExport['outputs'];
}

function plan(
  tower: Tower,
  spec: VisionSpec | TextSpec | HfTextSpec,
  source: WeightSource,
  options: Required<Pick<ExportOptions, 'dtype' | 'opset' | 'normalize'>> & {
    contrib: boolean;
    hfText: boolean;
    endToken?: ExportOptions['textEndToken'];
    act?: Activation;
  },
  sharedGraph?: GraphBuilder,
): Planned {
  // A shared graph builds both towers into one model (the combined model.onnx).
  const graph = sharedGraph ?? new GraphBuilder(options.opset);
  const computeType = options.dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  const ctx: BuildCtx = {
    graph,
    weights: new WeightLoader(source),
    mode: options.dtype,
    computeType,
    contrib: options.contrib && options.dtype === 'fp32',
  };
  let out: string;
  let dim: number;
  let inputs: TowerExport['inputs'];
  let activation: Activation;
  if (tower === 'vision') {
    const s = spec as VisionSpec;
    const [h, w] = s.kind === 'vit' ? s.image : [s.image, s.image];
    const pixels = graph.input('pixel_values', DataType.FLOAT, ['batch', 3, h, w]);
    const x = computeType === DataType.FLOAT16 ? graph.node('Cast', [pixels], { to: DataType.FLOAT16 }) : pixels;
    activation = options.act ?? s.activation;
    if (s.kind === 'resnet' && activation !== 'relu') {
      throw new OnnxExportError(
        'BAD_OPTION',
        `ModifiedResNet vision towers only use ReLU; drop the vision activation override '${activation}'`,
      );
    }
    out = buildVision(ctx, s, x, activation);
    dim = s.outputDim;
    inputs = [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, h, w] }];
  } else {
    const s = spec as TextSpec | HfTextSpec;
    // buildText runs causal towers on the ids up to the pooled token, so any length that holds it gives the
    // padded text's result; a bidirectional tower or one pooling the last token needs the full context.
    // (Hugging Face towers are bidirectional: full context.)
    const native = 'kind' in s ? null : s;
    const dynamic = options.hfText && !!native?.causal && native.pool !== 'last';
    const shape = ['batch', dynamic ? 'sequence' : s.context];
    const inputIds = graph.input('input_ids', DataType.INT64, shape);
    const pooledId = native?.pool === 'argmax' ? native.vocab - 1 : native?.pool === 'eos' ? native.eosId : null;
    const ids =
      dynamic && pooledId !== null
        ? restoreEot(ctx, inputIds, pooledId)
        : !dynamic && options.endToken
          ? restoreEndToken(ctx, inputIds, options.endToken.end, options.endToken.pad)
          : inputIds;
    inputs = [{ name: 'input_ids', dtype: 'int64', shape }];
    if (options.hfText) {
      graph.input('attention_mask', DataType.INT64, shape);
      inputs.push({ name: 'attention_mask', dtype: 'int64', shape });
    }
    activation = options.act ?? s.activation;
    out =
      'kind' in s
        ? buildHfText(ctx, s, ids, activation)
        : s.cls
          ? buildCocaText(ctx, s, ids, activation)
          : buildText(ctx, s, ids, activation);
    dim = s.outputDim;
  }
  if (computeType === DataType.FLOAT16) out = graph.node('Cast', [out], { to: DataType.FLOAT });
  if (options.normalize) out = l2Normalize(ctx, out);
  const outName = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  graph.output(out, outName, DataType.FLOAT, ['batch', dim]);
  return {
    tower,
    file: `${tower}.onnx`,
    graph,
    activation,
    inputs,
    outputs: [{ name: outName, dtype: dataTypeName[DataType.FLOAT] as string, shape: ['batch', dim] }],
  };
}

async function scalar(source: WeightSource, name: string): Promise<number | null> {
  const info = source.info(name);
  if (!info) return null;
  return toFloat32(await source.read(name), info.dtype)[0] ?? null;
}

/**
 * Builds `vision.onnx` / `text.onnx` in `outDir` straight from open_clip weights and model_cfg. Checks
 * everything first, writes to temporary names and renames at the end, so a failure leaves no files.
 */
export async function exportOnnx(
  modelCfg: ModelCfg,
  weights: WeightSource,
  outDir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const { towers, dtype, opset } = checkOptions(options);
  const hfName = (modelCfg.text_cfg as { hf_model_name?: unknown } | undefined)?.hf_model_name;
  if (towers.includes('text') && typeof hfName === 'string' && !options.hfConfig && !knownHfConfig(hfName))
    throw new OnnxExportError('HF_CONFIG_UNKNOWN', hfConfigUnknown(hfName));
  const support = towerSupport(modelCfg, options.hfConfig);
  for (const t of towers) {
    const s = support[t];
    if (!s.supported) {
      const other =
        towers.length === 1
          ? ''
          : ` (export the other tower alone with towers: ['${t === 'vision' ? 'text' : 'vision'}'])`;
      throw new OnnxExportError('UNSUPPORTED_TOWER', `cannot export the ${t} tower: ${s.reason}${other}`);
    }
  }
  const vision = support.vision.supported ? fitVision(resolveVision(modelCfg), weights) : null;
  const text = support.text.supported ? resolveText(modelCfg, options.hfConfig) : null;
  const shapes = (t: Tower): WeightShapes =>
    t === 'vision' && vision ? visionWeights(vision, weights) : t === 'text' && text ? textWeights(text) : new Map();

  const required: WeightShapes = new Map();
  for (const t of towers) for (const [k, v] of shapes(t)) required.set(k, v);
  const logitShape = weights.info('logit_scale')?.shape.length === 1 ? [1] : [];
  required.set('logit_scale', logitShape);
  if (modelCfg.init_logit_bias != null) required.set('logit_bias', logitShape);
  const known = new Set<string>(['logit_bias', 'attn_mask']);
  for (const t of ['vision', 'text'] as const) for (const k of shapes(t).keys()) known.add(k);
  if (text && 'kind' in text) for (const k of hfTextOptional(text)) known.add(k);
  // CoCa's generative decoder is not exported (only the contrastive towers)
  const foreign: string[] = modelCfg.multimodal_cfg ? ['text_decoder.'] : [];
  if (!vision) foreign.push('visual.');
  if (!text)
    foreign.push('text.', 'transformer.', 'token_embedding.', 'positional_embedding', 'ln_final.', 'text_projection');
  validateWeights(weights, required, known, foreign);

  const planOptions = (t: Tower, normalize: boolean) => ({
    dtype,
    opset,
    // CoCa's encode_image / encode_text normalize by default (CLIP's do not): the graphs match them
    normalize: normalize || modelCfg.multimodal_cfg != null,
    contrib: options.contribOps !== false,
    hfText: options.hfTextInputs === true,
    ...(t === 'text' && options.textEndToken ? { endToken: options.textEndToken } : {}),
    ...(options.activation?.[t] ? { act: options.activation[t] } : {}),
  });
  const specOf = (t: Tower) => (t === 'vision' ? vision : text) as VisionSpec | TextSpec | HfTextSpec;
  const planned = towers.map((t) => plan(t, specOf(t), weights, planOptions(t, options.normalize === true)));
  const logitScale = (await scalar(weights, 'logit_scale')) as number;
  const logitBias = await scalar(weights, 'logit_bias');
  let combined: {
    file: string;
    graph: GraphBuilder;
    inputs: TowerExport['inputs'];
    outputs: TowerExport['outputs'];
  } | null = null;
  if (options.combined) {
    if (towers.length !== 2) {
      throw new OnnxExportError('BAD_OPTION', 'combined needs both towers; drop the towers option');
    }
    const g = new GraphBuilder(opset);
    const parts = (['text', 'vision'] as const).map((t) => plan(t, specOf(t), weights, planOptions(t, true), g));
    // The two towers take batches of different sizes: give each its own batch dimension name.
    for (const p of parts) {
      const batch = p.tower === 'text' ? 'text_batch' : 'image_batch';
      for (const v of [...g.inputs, ...g.outputs, ...p.inputs, ...p.outputs]) {
        if (p.inputs.some((i) => i.name === v.name) || p.outputs.some((o) => o.name === v.name))
          v.shape = v.shape.map((d) => (d === 'batch' ? batch : d));
      }
    }
    combined = {
      file: 'model.onnx',
      graph: g,
      inputs: parts.flatMap((p) => p.inputs),
      outputs: [...addLogits(g, Math.exp(logitScale), logitBias), ...parts.flatMap((p) => p.outputs)],
    };
  }

  await mkdir(outDir, { recursive: true });
  const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  const writes = [
    ...planned.map((p) => ({ file: p.file, graph: p.graph, tower: p as Planned | null })),
    ...(combined ? [{ file: combined.file, graph: combined.graph, tower: null }] : []),
  ];
  const total = writes.reduce((a, p) => a + p.graph.initializers.reduce((b, i) => b + i.byteLength, 0), 0);
  let done = 0;
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temps: string[] = [];
  const moves: Array<[string, string]> = [];
  const results: TowerExport[] = [];
  try {
    for (const { file: name, graph, tower: p } of writes) {
      const file = path.join(outDir, name);
      const bytes = graph.initializers.reduce((b, i) => b + i.byteLength, 0);
      const external =
        bytes > threshold ? { tempPath: `${file}_data.tmp-${tag}`, location: externalDataName(file) } : null;
      const modelTemp = `${file}.tmp-${tag}`;
      temps.push(modelTemp, ...(external ? [external.tempPath] : []));
      await writeModel(graph, {
        modelPath: modelTemp,
        external,
        producerVersion: VERSION,
        onBytes: (n) => {
          done += n;
          options.onProgress?.(done, total);
        },
      });
      moves.push([modelTemp, file]);
      if (external) moves.push([external.tempPath, `${file}_data`]);
      if (!p) continue;
      results.push({
        tower: p.tower,
        path: file,
        externalData: external ? `${file}_data` : null,
        inputs: p.inputs,
        outputs: p.outputs,
        activation: p.activation,
        nodeCounts: p.graph.nodeCounts(),
      });
    }
    for (const r of results) if (!r.externalData) await rm(`${r.path}_data`, { force: true }); // stale from an earlier export
    for (const [from, to] of moves) await rename(from, to);
  } catch (err) {
    await Promise.all(temps.map((t) => rm(t, { force: true })));
    throw err;
  }
  return {
    towers: results,
    logitScale,
    logitBias,
    ...(combined
      ? { combined: { path: path.join(outDir, combined.file), inputs: combined.inputs, outputs: combined.outputs } }
      : {}),
  };
}

/** logits_per_text = scale·text_embeds·image_embedsᵀ (+ bias) and its transpose, on the normalized outputs. */
function addLogits(graph: GraphBuilder, scale: number, bias: number | null): TowerExport['outputs'] {
  const cos = graph.node('MatMul', ['text_embeds', graph.node('Transpose', ['image_embeds'], { perm: [1, 0] })]);
  let perText = graph.node('Mul', [cos, graph.constant([scale], [], DataType.FLOAT)]);
  if (bias !== null) perText = graph.node('Add', [perText, graph.constant([bias], [], DataType.FLOAT)]);
  const perImage = graph.node('Transpose', [perText], { perm: [1, 0] });
  graph.output(perImage, 'logits_per_image', DataType.FLOAT, ['image_batch', 'text_batch']);
  graph.output(perText, 'logits_per_text', DataType.FLOAT, ['text_batch', 'image_batch']);
  return [
    { name: 'logits_per_image', dtype: 'float32', shape: ['image_batch', 'text_batch'] },
    { name: 'logits_per_text', dtype: 'float32', shape: ['text_batch', 'image_batch'] },
  ];
}
