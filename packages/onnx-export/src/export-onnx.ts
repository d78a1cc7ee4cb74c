import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { BuildCtx } from './blocks.js';
import { l2Normalize } from './blocks.js';
import { buildConvNext } from './build-convnext.js';
import { buildResNet } from './build-resnet.js';
import { buildText } from './build-text.js';
import { buildTimmVit } from './build-timm-vit.js';
import { buildViTamin } from './build-vitamin.js';
import { buildVit } from './build-vit.js';
import { OnnxExportError } from './errors.js';
import {
  convNextWeights,
  resnetWeights,
  textWeights,
  timmVitWeights,
  viTaminWeights,
  vitWeights,
  type WeightShapes,
} from './expected-weights.js';
import { GraphBuilder } from './graph.js';
import { DataType, dataTypeName } from './proto.js';
import {
  resolveText,
  resolveVision,
  type ResNetSpec,
  type TextSpec,
  type TimmVitSpec,
  type VitSpec,
} from './resolve-config.js';
import { toFloat32 } from './tensor-math.js';
import { timmVitFromWeights } from './timm-siglip.js';
import { convNextFromWeights, type ConvNextSpec } from './timm-convnext.js';
import { viTaminFromWeights, type ViTaminSpec } from './timm-vitamin.js';
import { towerSupport } from './tower-support.js';
import type { Activation, ExportOptions, ExportResult, ModelCfg, Tower, TowerExport, WeightSource } from './types.js';
import { validateWeights } from './validate-weights.js';
import { WeightLoader } from './weight-loader.js';
import { externalDataName, writeModel } from './write-model.js';

export const SUPPORTED_OPSETS = [17, 18, 19, 20, 21] as const;
const DTYPES = ['fp32', 'fp16', 'int8'] as const;
const ACTIVATIONS: Activation[] = ['quick_gelu', 'gelu', 'gelu_tanh', 'relu'];
/** Protobuf cannot parse messages of 2 GiB or more; stay clear of it. */
export const DEFAULT_EXTERNAL_THRESHOLD = 1_900_000_000;
const VERSION = '0.1.0';

function checkOptions(o: ExportOptions): { towers: Tower[]; dtype: (typeof DTYPES)[number]; opset: number } {
  const dtype = o.dtype ?? 'fp32';
  if (!(DTYPES as readonly string[]).includes(dtype)) {
    throw new OnnxExportError(
      'BAD_DTYPE',
      `unknown ONNX export dtype '${String(dtype)}'; use one of ${DTYPES.join(', ')}`,
    );
  }
  const opset = o.opset ?? 17;
  if (!(SUPPORTED_OPSETS as readonly number[]).includes(opset)) {
    throw new OnnxExportError(
      'BAD_OPSET',
      `unsupported ONNX opset ${String(opset)}; use one of ${SUPPORTED_OPSETS.join(', ')} (17 is the default)`,
    );
  }
  const towers = o.towers ?? ['vision', 'text'];
  const bad = towers.filter((t) => t !== 'vision' && t !== 'text');
  if (!towers.length || bad.length || new Set(towers).size !== towers.length) {
    throw new OnnxExportError(
      'BAD_OPTION',
      `towers must be a non-empty list of distinct 'vision' and 'text', got ${JSON.stringify(towers)}`,
    );
  }
  for (const [t, a] of Object.entries(o.activation ?? {})) {
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
  graph: GraphBuilder;
  activation: Activation;
  inputs: TowerExport['inputs'];
  outputs: TowerExport['outputs'];
}

function plan(
  tower: Tower,
  spec: VitSpec | ResNetSpec | TimmVitSpec | ConvNextSpec | ViTaminSpec | TextSpec,
  source: WeightSource,
  o: { dtype: 'fp32' | 'fp16' | 'int8'; opset: number; normalize: boolean; contrib: boolean; act?: Activation },
): Planned {
  const g = new GraphBuilder(o.opset);
  const cdt = o.dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
  const c: BuildCtx = { g, w: new WeightLoader(source), mode: o.dtype, cdt, contrib: o.contrib && o.dtype === 'fp32' };
  let out: string;
  let dim: number;
  let inputs: TowerExport['inputs'];
  let activation: Activation;
  if (tower === 'vision') {
    const s = spec as VitSpec | ResNetSpec | TimmVitSpec | ConvNextSpec | ViTaminSpec;
    const [h, w] = s.kind === 'vit' ? s.image : [s.image, s.image];
    const pixels = g.input('pixel_values', DataType.FLOAT, ['batch', 3, h, w]);
    const x = cdt === DataType.FLOAT16 ? g.node('Cast', [pixels], { to: DataType.FLOAT16 }) : pixels;
    activation = o.act ?? s.activation;
    if (s.kind === 'resnet' && activation !== 'relu') {
      throw new OnnxExportError(
        'BAD_OPTION',
        `ModifiedResNet vision towers only use ReLU; drop the vision activation override '${activation}'`,
      );
    }
    out =
      s.kind === 'vit'
        ? buildVit(c, s, x, activation)
        : s.kind === 'timm-vit'
          ? buildTimmVit(c, s, x, activation)
          : s.kind === 'convnext'
            ? buildConvNext(c, s, x, activation)
            : s.kind === 'vitamin'
              ? buildViTamin(c, s, x, activation)
              : buildResNet(c, s, x);
    dim = s.outputDim;
    inputs = [{ name: 'pixel_values', dtype: 'float32', shape: ['batch', 3, h, w] }];
  } else {
    const s = spec as TextSpec;
    const ids = g.input('input_ids', DataType.INT64, ['batch', s.context]);
    activation = o.act ?? s.activation;
    out = buildText(c, s, ids, activation);
    dim = s.outputDim;
    inputs = [{ name: 'input_ids', dtype: 'int64', shape: ['batch', s.context] }];
  }
  if (cdt === DataType.FLOAT16) out = g.node('Cast', [out], { to: DataType.FLOAT });
  if (o.normalize) out = l2Normalize(c, out);
  const outName = tower === 'vision' ? 'image_embeds' : 'text_embeds';
  g.output(out, outName, DataType.FLOAT, ['batch', dim]);
  return {
    tower,
    graph: g,
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
  const support = towerSupport(modelCfg);
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
  const resolved = support.vision.supported ? resolveVision(modelCfg) : null;
  // timm trunks "at any size": depths and widths come from the checkpoint, the rest from the config
  const vision =
    resolved?.kind === 'convnext'
      ? convNextFromWeights(resolved, weights)
      : resolved?.kind === 'vitamin'
        ? viTaminFromWeights(resolved, weights)
        : resolved?.kind === 'timm-vit'
          ? timmVitFromWeights(resolved, weights)
          : resolved;
  const text = support.text.supported ? resolveText(modelCfg) : null;
  const shapes = (t: Tower): WeightShapes =>
    t === 'vision' && vision
      ? vision.kind === 'vit'
        ? vitWeights(vision)
        : vision.kind === 'timm-vit'
          ? timmVitWeights(vision)
          : vision.kind === 'convnext'
            ? convNextWeights(vision)
            : vision.kind === 'vitamin'
              ? viTaminWeights(vision)
              : resnetWeights(vision)
      : t === 'text' && text
        ? textWeights(text)
        : new Map();

  const required: WeightShapes = new Map();
  for (const t of towers) for (const [k, v] of shapes(t)) required.set(k, v);
  const logitShape = weights.info('logit_scale')?.shape.length === 1 ? [1] : [];
  required.set('logit_scale', logitShape);
  if (modelCfg.init_logit_bias != null) required.set('logit_bias', logitShape);
  const known = new Set<string>(['logit_bias', 'attn_mask']);
  for (const t of ['vision', 'text'] as const) for (const k of shapes(t).keys()) known.add(k);
  const foreign: string[] = [];
  if (!vision) foreign.push('visual.');
  if (!text)
    foreign.push('text.', 'transformer.', 'token_embedding.', 'positional_embedding', 'ln_final.', 'text_projection');
  validateWeights(weights, required, known, foreign);

  const planned = towers.map((t) =>
    plan(
      t,
      (t === 'vision' ? vision : text) as VitSpec | ResNetSpec | TimmVitSpec | ConvNextSpec | ViTaminSpec | TextSpec,
      weights,
      {
        dtype,
        opset,
        normalize: options.normalize === true,
        contrib: options.contribOps !== false,
        ...(options.activation?.[t] ? { act: options.activation[t] } : {}),
      },
    ),
  );
  const logitScale = (await scalar(weights, 'logit_scale')) as number;
  const logitBias = await scalar(weights, 'logit_bias');

  await mkdir(outDir, { recursive: true });
  const threshold = options.externalDataThreshold ?? DEFAULT_EXTERNAL_THRESHOLD;
  const total = planned.reduce((a, p) => a + p.graph.initializers.reduce((b, i) => b + i.byteLength, 0), 0);
  let done = 0;
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const temps: string[] = [];
  const moves: Array<[string, string]> = [];
  const results: TowerExport[] = [];
  try {
    for (const p of planned) {
      const file = path.join(outDir, `${p.tower}.onnx`);
      const bytes = p.graph.initializers.reduce((b, i) => b + i.byteLength, 0);
      const external =
        bytes > threshold ? { tempPath: `${file}_data.tmp-${tag}`, location: externalDataName(file) } : null;
      const modelTemp = `${file}.tmp-${tag}`;
      temps.push(modelTemp, ...(external ? [external.tempPath] : []));
      await writeModel(p.graph, {
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
  return { towers: results, logitScale, logitBias };
}
