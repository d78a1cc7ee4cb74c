import { stringify } from 'yaml';
import type { ValidationSummary } from './validation-summary.js';

/** Plain facts about a model, gathered by the caller (registry, converter, validator). */
export interface ModelCardFacts {
  /** ORG/NAME, used in the usage snippets. */
  repo: string;
  /** open_clip architecture name, e.g. ViT-B-32. */
  architecture?: string;
  /** The registry's family (native-vit, modified-resnet, timm, hf-text, coca, ...). */
  family?: string;
  /** The towers' activation (gelu, quick_gelu, ...; "vision/text" when they differ). */
  activation?: string;
  /** The open_clip pretrained pair the registry facts describe, e.g. ViT-B-32:laion2b_s34b_b79k. */
  pretrained?: string;
  /** SPDX id; 'other' needs licenseName and licenseLink. */
  license?: string;
  licenseName?: string;
  licenseLink?: string;
  /** Hub dataset ids it was trained on. */
  datasets?: string[];
  /** The repo this model was derived from (converted, fine-tuned, distilled). */
  baseModel?: string;
  /** An ONNX export is part of the repo (under onnx/). */
  hasOnnx?: boolean;
  /** The repo is a transformers.js layout (cliphub convert --to transformers.js) with these dtype variants. */
  transformersJs?: { dtypes: string[]; modelType?: 'clip' | 'siglip' };
  description?: string;
  params?: { total?: number; image?: number; text?: number };
  gflops?: { image?: number; text?: number; total?: number };
  zeroShot?: Array<{ dataset: string; metric?: string; value: number }>;
  /** Where params, FLOPs and zero-shot results come from, e.g. "open_clip 3.3.0 registry, ViT-B-32:laion2b_s34b_b79k". */
  factsSource?: string;
  /** How the weights were produced from a checkpoint (file names only, never local paths). */
  conversion?: { from: string; format: string; verified: boolean; dtype?: string; activation?: string };
  /** A `cliphub validate` summary (see summarizeValidation). */
  validation?: ValidationSummary;
}

const fmtCount = (n: number): string =>
  n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n);

/** A README.md with the YAML metadata the Hub reads for open_clip models and a usage body. */
export function buildModelCard(f: ModelCardFacts): string {
  const meta: Record<string, unknown> = {
    library_name: 'open_clip',
    tags: [
      'clip',
      'zero-shot-image-classification',
      ...(f.hasOnnx || f.transformersJs ? ['onnx'] : []),
      ...(f.transformersJs ? ['transformers.js'] : []),
    ],
    pipeline_tag: 'zero-shot-image-classification',
  };
  if (f.license) meta.license = f.license;
  if (f.license === 'other') {
    if (f.licenseName) meta.license_name = f.licenseName;
    if (f.licenseLink) meta.license_link = f.licenseLink;
  }
  if (f.datasets?.length) meta.datasets = f.datasets;
  if (f.baseModel) meta.base_model = f.baseModel;
  // the registry facts as data, for the server's model list filters (the tables below are for people)
  const activation = f.conversion?.activation ?? f.activation;
  const dataFacts = {
    ...(f.architecture && { architecture: f.architecture }),
    ...(f.family && { family: f.family }),
    ...(activation && { activation }),
    ...(f.params?.total !== undefined && { params: f.params.total }),
  };
  if (Object.keys(dataFacts).length) meta.cliphub = dataFacts;

  const name = f.repo.split('/')[1] ?? f.repo;
  const lines: string[] = [`---\n${stringify(meta).trimEnd()}\n---`, '', `# ${name}`, ''];
  lines.push(
    f.description ??
      `An OpenCLIP${f.architecture ? ` ${f.architecture}` : ''} model${f.baseModel ? `, derived from [${f.baseModel}](https://huggingface.co/${f.baseModel})` : ''}.`,
    '',
  );

  const facts: string[] = [];
  if (f.architecture) facts.push(`| Architecture | ${f.architecture} |`);
  if (f.pretrained) facts.push(`| open_clip pretrained tag | ${f.pretrained} |`);
  if (f.params?.total !== undefined) facts.push(`| Parameters | ${fmtCount(f.params.total)} |`);
  if (f.params?.image !== undefined) facts.push(`| Image tower parameters | ${fmtCount(f.params.image)} |`);
  if (f.params?.text !== undefined) facts.push(`| Text tower parameters | ${fmtCount(f.params.text)} |`);
  if (f.gflops?.total !== undefined) facts.push(`| GFLOPs | ${f.gflops.total} |`);
  if (f.gflops?.image !== undefined) facts.push(`| Image GFLOPs | ${f.gflops.image} |`);
  if (f.gflops?.text !== undefined) facts.push(`| Text GFLOPs | ${f.gflops.text} |`);
  if (facts.length) lines.push('## Model facts', '', '| | |', '| --- | --- |', ...facts, '');
  if (f.factsSource && facts.length) lines.push(`Source: ${f.factsSource}.`, '');
  if (f.zeroShot?.length) {
    lines.push('## Zero-shot results', '', '| Dataset | Metric | Value |', '| --- | --- | --- |');
    for (const z of f.zeroShot) lines.push(`| ${z.dataset} | ${z.metric ?? 'top-1'} | ${z.value} |`);
    lines.push('');
    if (f.factsSource) lines.push(`Published results (${f.factsSource}), not re-measured on this upload.`, '');
  }
  if (f.conversion) {
    const c = f.conversion;
    lines.push(
      '## Conversion',
      '',
      `Converted with cliphub from \`${c.from}\` (${c.format}) to safetensors${c.dtype && c.dtype !== 'as-source' ? ` in ${c.dtype}` : ''}${c.activation ? `, activation ${c.activation}` : ''}.${c.verified ? ' Every tensor was re-read and compared with the source.' : ''}`,
      '',
    );
  }
  if (f.transformersJs) {
    const q8 = f.transformersJs.dtypes.includes('int8');
    lines.push(
      '## Usage with transformers.js',
      '',
      `The \`onnx/\` folder holds the graphs [transformers.js](https://huggingface.co/docs/transformers.js) loads (dtypes: ${f.transformersJs.dtypes.map((d) => (d === 'int8' ? 'q8' : d)).join(', ')}), in Node and in the browser:`,
      '',
      '```js',
      transformersJsSnippet(f.repo, {
        dtype: q8 && !f.transformersJs.dtypes.includes('fp32') ? 'q8' : 'fp32',
        ...(f.transformersJs.modelType && { modelType: f.transformersJs.modelType }),
      }),
      '```',
      '',
      "The open_clip config, weights layout and tokenizer are reproduced exactly; images are resized by transformers.js's own resampler, so image embeddings differ from open_clip's PIL path slightly.",
      '',
    );
  }
  lines.push(
    '## Usage with open_clip',
    '',
    '```python',
    'import open_clip',
    `model, preprocess = open_clip.create_model_from_pretrained('hf-hub:${f.repo}')`,
    `tokenizer = open_clip.get_tokenizer('hf-hub:${f.repo}')`,
    '```',
    '',
    '## Usage with cliphub',
    '',
    '```bash',
    `npx cliphub pull hf-hub:${f.repo}`,
    '```',
    '',
  );
  if (f.hasOnnx)
    lines.push(
      "The `onnx/` folder holds an ONNX export (see `onnx/cliphub.json`) for runtimes without PyTorch, e.g. cliphub's runtime on onnxruntime:",
      '',
      '```ts',
      "import { loadModel, zeroShot } from '@cliphub/runtime';",
      "const model = await loadModel('<snapshot dir printed by cliphub pull>/onnx');",
      "const { probs } = await zeroShot(model, 'photo.jpg', ['a dog', 'a cat']);",
      '```',
      '',
    );
  if (f.validation) lines.push(...validationSection(f.validation));
  return lines.join('\n');
}

/**
 * The transformers.js code that runs a repo made by `cliphub convert --to transformers.js`: zero-shot
 * classification and both embeddings. `remoteHost` points it at a cliphub hub server instead of huggingface.co.
 */
export function transformersJsSnippet(
  repo: string,
  opts: { dtype?: string; remoteHost?: string; modelType?: 'clip' | 'siglip' } = {},
): string {
  const dtype = opts.dtype ?? 'fp32';
  // SigLIP's text graph takes exactly context-length ids (its tower pools the last token): pad to max_length
  const siglip = opts.modelType === 'siglip';
  const textClass = siglip ? 'SiglipTextModel' : 'CLIPTextModelWithProjection';
  return [
    `import { env, pipeline, AutoTokenizer, ${textClass} } from '@huggingface/transformers';`,
    ...(opts.remoteHost ? [`env.remoteHost = ${JSON.stringify(opts.remoteHost.replace(/\/?$/, '/'))};`] : []),
    `const classify = await pipeline('zero-shot-image-classification', '${repo}', { dtype: '${dtype}' });`,
    "console.log(await classify('photo.jpg', ['a dog', 'a cat']));",
    `const tokenizer = await AutoTokenizer.from_pretrained('${repo}');`,
    `const textModel = await ${textClass}.from_pretrained('${repo}', { dtype: '${dtype}' });`,
    `const { text_embeds } = await textModel(tokenizer(['a dog'], { padding: ${siglip ? "'max_length'" : 'true'}, truncation: true }));`,
  ].join('\n');
}

const metric = (x: number | undefined, digits: number): string =>
  x === undefined ? 'n/a' : x === 0 ? '0' : Math.abs(x) < 1e-3 ? x.toExponential(2) : x.toFixed(digits);

function validationSection(v: ValidationSummary): string[] {
  const out = [
    '## Validation',
    '',
    `cliphub validate: **${v.passed ? 'passed' : 'FAILED'}**${v.summary ? ` (${v.summary})` : ''}`,
    '',
  ];
  const context = [
    v.reference ? `reference ${v.reference}` : '',
    v.profile ? `tolerance profile ${v.profile}` : '',
  ].filter(Boolean);
  if (context.length) out.push(`Compared with ${context.join(', under ')}.`, '');
  if (v.rows?.length) {
    const named = v.rows.some((r) => r.artifact);
    out.push(
      `|${named ? ' Artifact |' : ''} Tower | Min cosine | Max abs diff | Max rel L2 | Result |`,
      `|${named ? ' --- |' : ''} --- | --- | --- | --- | --- |`,
    );
    for (const r of v.rows)
      out.push(
        `|${named ? ` ${r.artifact ?? ''} |` : ''} ${r.tower} | ${metric(r.minCosine, 8)} | ${metric(r.maxAbsDiff, 6)} | ${metric(r.maxRelL2, 6)} | ${r.passed === undefined ? '' : r.passed ? 'pass' : 'fail'} |`,
      );
    out.push('');
  }
  if (v.checks?.length) {
    out.push('| Check | Result | Detail |', '| --- | --- | --- |');
    for (const c of v.checks) out.push(`| ${c.name} | ${c.passed ? 'pass' : 'fail'} | ${c.detail ?? ''} |`);
    out.push('');
  }
  return out;
}
