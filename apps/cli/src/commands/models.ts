import path from 'node:path';
import { towerSupport } from '@cliphub/onnx-export';
import { transformersJsFit } from '@cliphub/transformers-js';

/** Whether transformers.js can run a model (injected like the tower support). */
type LayoutFitFn = (
  modelCfg: Parameters<typeof transformersJsFit>[0],
  preprocessCfg: Record<string, unknown>,
) => ReturnType<typeof transformersJsFit>;
import {
  addLocalModel,
  listPretrained,
  loadRegistryData,
  readOpenClipConfigDir,
  type ModelCfg,
  resolve,
  searchModels,
  userRegistryFile,
  type Activation,
  type PretrainedEntry,
  type PretrainedFilter,
  type ResolvedModel,
  type TowerSupportFn,
} from '@cliphub/registry';
import { parseCommandArgs, UsageError, writeJson, type Command, type CommandIO } from '../command.js';

const usage = `Usage: cliphub models [options]            list open_clip's pretrained models (and yours)
       cliphub models show SPEC [--json]     describe one model, fully resolved
       cliphub models add DIR [--name NAME]  register a folder holding open_clip_config.json

SPEC is ARCH, ARCH:TAG, ARCH/TAG, a registered NAME, hf-hub:ORG/REPO[@REV] or local-dir:PATH.

List options:
  --family F           family or tower, by substring (native-vit, modified-resnet, siglip, timm-eva, hf-text, coca...)
  --min-imagenet X     ImageNet-1k zero-shot top-1 at least X (0.75 or 75)
  --max-params N       at most N million parameters (N, NM or NB: 300, 300M, 1.5B)
  --quickgelu          only models that run QuickGELU
  --sort KEY           imagenet | params | flops | name (default: upstream order)
  --search Q           free text; every word must match name, family or Hub repo
  --json               print the entries as JSON
  -h, --help           this help

User models live in $CLIPHUB_HOME/models.json (default ~/.cliphub/models.json).
Exit codes: 0 ok, 2 bad input (unknown names come with suggestions).
`;

const SORTS = ['imagenet', 'params', 'flops', 'name'] as const;
type SortKey = (typeof SORTS)[number];

function parseFraction(raw: string): number {
  const v = Number(raw.replace(/%$/, ''));
  if (!Number.isFinite(v) || v < 0 || v > 100)
    throw new UsageError(`--min-imagenet takes a number like 0.75 or 75, not '${raw}'`);
  return v > 1 ? v / 100 : v;
}

function parseParams(raw: string): number {
  const m = /^(\d+(?:\.\d+)?)([mMbB]?)$/.exec(raw.trim());
  if (!m) throw new UsageError(`--max-params takes millions of parameters like 300, 300M or 1.5B, not '${raw}'`);
  return Number(m[1]) * (m[2]?.toLowerCase() === 'b' ? 1000 : 1);
}

const nullsLast = (a: number | null, b: number | null, dir: 1 | -1): number =>
  a === null ? (b === null ? 0 : 1) : b === null ? -1 : (a - b) * dir;

function sortEntries(entries: PretrainedEntry[], key: SortKey): PretrainedEntry[] {
  const out = [...entries];
  if (key === 'imagenet') out.sort((a, b) => nullsLast(a.imagenet1k, b.imagenet1k, -1));
  else if (key === 'params') out.sort((a, b) => nullsLast(a.mparams, b.mparams, 1));
  else if (key === 'flops') out.sort((a, b) => nullsLast(a.gflops, b.gflops, 1));
  else out.sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
  return out;
}

const ACT: Record<Activation, string> = {
  quick_gelu: 'qgelu',
  gelu: 'gelu',
  gelu_tanh: 'gelu-tanh',
  relu: 'relu',
  silu: 'silu',
  unknown: '?',
};
const size = (s: number | [number, number]): string =>
  Array.isArray(s) ? (s[0] === s[1] ? String(s[0]) : `${s[0]}x${s[1]}`) : String(s);
const pct = (v: number | null): string => (v === null ? '-' : (v * 100).toFixed(1));
const fixed = (v: number | null, d = 1): string => (v === null ? '-' : v.toFixed(d));

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

type Listed = PretrainedEntry & { onnx?: ReturnType<TowerSupportFn>; transformersJs?: ReturnType<LayoutFitFn> };

/** Which towers cliphub's exporter takes, asked of the exporter itself so the registry never drifts. */
function withSupport(
  entries: PretrainedEntry[],
  support: TowerSupportFn | undefined,
  layoutFit?: LayoutFitFn,
): Listed[] {
  if (!support) return entries;
  const configs = loadRegistryData().architectures.architectures;
  return entries.map((e) => {
    let cfg: unknown;
    try {
      cfg = e.source === 'user' && e.path ? readOpenClipConfigDir(e.path).model_cfg : configs[e.arch]?.config;
    } catch {
      return e; // a registered folder that is gone: listed, support unknown
    }
    if (!cfg) return e;
    const pp = { interpolation: e.interpolation, resize_mode: e.resizeMode, mean: e.mean };
    return {
      ...e,
      onnx: support(cfg as ModelCfg),
      ...(layoutFit && { transformersJs: layoutFit(cfg as Parameters<LayoutFitFn>[0], pp) }),
    };
  });
}

function onnxCell(e: Listed): string {
  if (!e.onnx) return '?';
  const towers = [e.onnx.vision.supported ? 'v' : '', e.onnx.text.supported ? 't' : ''].filter(Boolean).join('+');
  return towers || '-';
}

/** How many of the listed models `cliphub convert --to transformers.js` takes, when that is known. */
function tjsCount(entries: Listed[]): string {
  if (!entries.some((e) => e.transformersJs)) return '';
  return `; ${entries.filter((e) => e.transformersJs?.fits).length} of these convert --to transformers.js`;
}

function printList(io: CommandIO, entries: Listed[]): void {
  const head = ['NAME', 'FAMILY', 'PARAMS(M)', 'GFLOPS', 'IMAGE', 'ACT(V/T)', 'IMAGENET', 'AVG38', 'ONNX'];
  const rows = entries.map((e) => [
    e.name,
    e.family,
    fixed(e.mparams),
    fixed(e.gflops, 2),
    size(e.imageSize),
    `${ACT[e.activation.vision]}/${ACT[e.activation.text]}`,
    pct(e.imagenet1k),
    pct(e.avg38),
    onnxCell(e),
  ]);
  const legend = `ONNX: the towers cliphub exports (v vision, t text, - neither)${tjsCount(entries)}`;
  io.stdout.write(
    `${table([head, ...rows], new Set([2, 3, 4, 6, 7]))}\n${legend}\n${entries.length} model${entries.length === 1 ? '' : 's'}\n`,
  );
}

async function list(
  argv: string[],
  io: CommandIO,
  support: TowerSupportFn | undefined,
  layoutFit?: LayoutFitFn,
): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    family: { type: 'string' },
    'min-imagenet': { type: 'string' },
    'max-params': { type: 'string' },
    quickgelu: { type: 'boolean', default: false },
    sort: { type: 'string' },
    search: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length > 0) {
    throw new UsageError(
      `unknown models subcommand '${positionals[0]}'; use 'cliphub models show ${positionals[0]}' to describe a model, or 'models add DIR'`,
    );
  }
  if (values.sort !== undefined && !(SORTS as readonly string[]).includes(values.sort)) {
    throw new UsageError(`--sort must be one of ${SORTS.join(', ')}, not '${values.sort}'`);
  }
  const filter: PretrainedFilter = {};
  if (values.family !== undefined) filter.family = values.family;
  if (values['min-imagenet'] !== undefined) filter.minImagenet = parseFraction(values['min-imagenet']);
  if (values['max-params'] !== undefined) filter.maxParams = parseParams(values['max-params']);
  if (values.quickgelu) filter.quickGelu = true;
  const registryFile = userRegistryFile(io.env);
  let entries = listPretrained(filter, { registryFile });
  let archOnly: string[] = [];
  if (values.search !== undefined) {
    const hits = searchModels(values.search, { registryFile });
    const rank = new Map(hits.map((h, i) => [h.name, i]));
    entries = entries.filter((e) => rank.has(e.name)).sort((a, b) => rank.get(a.name)! - rank.get(b.name)!);
    archOnly = hits.filter((h) => h.kind === 'architecture').map((h) => h.name);
  }
  if (values.sort !== undefined) entries = sortEntries(entries, values.sort as SortKey);
  const listed = withSupport(entries, support, layoutFit);
  if (values.json) {
    writeJson(io, listed);
    return 0;
  }
  printList(io, listed);
  if (archOnly.length > 0) io.stdout.write(`architectures without pretrained weights: ${archOnly.join(', ')}\n`);
  return 0;
}

function describeWeights(r: ResolvedModel): string[] {
  const one = (w: NonNullable<ResolvedModel['weights']>): string =>
    w.kind === 'hf-hub'
      ? `hf-hub ${w.repo}${w.revision ? `@${w.revision}` : ''} ${w.file ?? '(default file)'}`
      : w.kind === 'url'
        ? `${w.url}${w.sha256 ? ` (sha256 ${w.sha256.length < 64 ? 'prefix ' : ''}${w.sha256})` : ''}`
        : w.path;
  if (!r.weights) return ['none (architecture only)'];
  return [one(r.weights), ...r.weightsAlternatives.map((w) => `also ${one(w)}`)];
}

function printShow(io: CommandIO, r: ResolvedModel, entry: PretrainedEntry | undefined): void {
  const p = r.preprocessCfg;
  const t = r.tokenizer;
  const lines: Array<[string, string | string[]]> = [
    ['family', `${r.family} (vision ${r.visionTower}, text ${r.textTower})`],
    ['weights', describeWeights(r)],
    ['quick_gelu', `${r.quickGelu ? 'yes' : 'no'} (${r.provenance.quickGelu ?? ''})`],
    [
      'activation',
      `vision ${r.activation.vision}, text ${r.activation.text}${r.activation.multimodal ? `, decoder ${r.activation.multimodal}` : ''}`,
    ],
    [
      'image',
      `${size(p.size)} px, ${p.interpolation}, resize ${p.resize_mode}, mean [${p.mean.join(', ')}], std [${p.std.join(', ')}]`,
    ],
    [
      'tokenizer',
      `${t.kind === 'simple' ? 'CLIP BPE (SimpleTokenizer)' : `Hugging Face ${t.name ?? ''}`}, context ${t.contextLength}${t.vocabSize ? `, vocab ${t.vocabSize}` : ''}${t.clean ? `, clean ${t.clean}` : ''}`,
    ],
    ['runtime', r.runtime.join(', ')],
    ['embed_dim', String(r.modelCfg.embed_dim)],
  ];
  if (entry && entry.source === 'open_clip') {
    lines.push([
      'size',
      entry.mparams === null
        ? 'not published by open_clip 3.3.0'
        : `${fixed(entry.mparams)} M params, ${fixed(entry.gflops, 2)} GFLOPs`,
    ]);
    lines.push([
      'zero-shot',
      entry.imagenet1k === null
        ? 'no result in openclip_results.csv'
        : `ImageNet-1k ${pct(entry.imagenet1k)}%, 38-dataset average ${pct(entry.avg38)}%`,
    ]);
  }
  if (r.support)
    lines.push([
      'onnx export',
      `vision ${r.support.vision.supported ? 'yes' : `no (${r.support.vision.reason ?? ''})`}, text ${r.support.text.supported ? 'yes' : `no (${r.support.text.reason ?? ''})`}`,
    ]);
  const title = r.arch ? `${r.arch}${r.tag ? `:${r.tag}` : ''}` : r.spec;
  const out = [title];
  for (const [k, v] of lines)
    (Array.isArray(v) ? v : [v]).forEach((line, i) => out.push(`  ${(i === 0 ? k : '').padEnd(12)} ${line}`));
  if (r.notes.length) out.push('  notes:', ...r.notes.map((n) => `    - ${n}`));
  out.push('  provenance:', ...Object.entries(r.provenance).map(([k, v]) => `    ${k}: ${v}`));
  io.stdout.write(`${out.join('\n')}\n`);
}

async function show(argv: string[], io: CommandIO, support: TowerSupportFn | undefined): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean', default: false } });
  if (positionals.length !== 1)
    throw new UsageError('models show takes exactly one SPEC, e.g. cliphub models show ViT-B-32:laion2b_s34b_b79k');
  const registryFile = userRegistryFile(io.env);
  const r = await resolve(positionals[0]!, { registryFile, ...(support ? { support } : {}) });
  if (values.json) {
    writeJson(io, r);
    return 0;
  }
  const name = r.arch && r.tag ? `${r.arch}:${r.tag}` : r.arch === null ? r.spec : null;
  printShow(io, r, name ? listPretrained({}, { registryFile }).find((e) => e.name === name) : undefined);
  return 0;
}

async function add(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    name: { type: 'string' },
    json: { type: 'boolean', default: false },
  });
  if (positionals.length !== 1) throw new UsageError('models add takes exactly one DIR holding open_clip_config.json');
  const registryFile = userRegistryFile(io.env);
  const dir = positionals[0]!;
  const m = addLocalModel(path.resolve(io.cwd, dir), { registryFile, ...(values.name ? { name: values.name } : {}) });
  if (values.json) writeJson(io, { name: m.name, path: m.path, registryFile });
  else
    io.stdout.write(
      `registered ${m.name} -> ${m.path} (in ${registryFile}); use it as: cliphub models show ${m.name}\n`,
    );
  return 0;
}

export interface ModelsCommandOptions {
  /** Per-tower ONNX export support, from @cliphub/onnx-export's towerSupport (injected, never guessed here). */
  support?: TowerSupportFn;
  /** Whether transformers.js can run a model, from @cliphub/transformers-js's transformersJsFit. */
  layoutFit?: LayoutFitFn;
}

/** `cliphub models`, with an optional exporter-support hook for `show`. */
export function createModelsCommand(options: ModelsCommandOptions = {}): Command {
  return {
    name: 'models',
    summary: 'list, search and describe pretrained models; register local ones',
    usage,
    async run(argv, io) {
      const [sub, ...rest] = argv;
      if (sub === 'show') return show(rest, io, options.support);
      if (sub === 'add') return add(rest, io);
      return list(argv, io, options.support, options.layoutFit);
    },
  };
}

export default createModelsCommand({ support: towerSupport, layoutFit: transformersJsFit });
