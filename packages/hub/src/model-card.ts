import { stringify } from 'yaml';

/** Plain facts about a model, gathered by the caller (registry, converter, validator). */
export interface ModelCardFacts {
  /** ORG/NAME, used in the usage snippets. */
  repo: string;
  /** open_clip architecture name, e.g. ViT-B-32. */
  architecture?: string;
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
  description?: string;
  params?: { total?: number; image?: number; text?: number };
  gflops?: { image?: number; text?: number; total?: number };
  zeroShot?: Array<{ dataset: string; metric?: string; value: number }>;
  /** A `cliphub validate` summary. */
  validation?: { passed: boolean; summary?: string; checks?: Array<{ name: string; passed: boolean; detail?: string }> };
}

const fmtCount = (n: number): string => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} M` : String(n));

/** A README.md with the YAML metadata the Hub reads for open_clip models and a usage body. */
export function buildModelCard(f: ModelCardFacts): string {
  const meta: Record<string, unknown> = {
    library_name: 'open_clip',
    tags: ['clip', 'zero-shot-image-classification', ...(f.hasOnnx ? ['onnx'] : [])],
    pipeline_tag: 'zero-shot-image-classification',
  };
  if (f.license) meta.license = f.license;
  if (f.license === 'other') {
    if (f.licenseName) meta.license_name = f.licenseName;
    if (f.licenseLink) meta.license_link = f.licenseLink;
  }
  if (f.datasets?.length) meta.datasets = f.datasets;
  if (f.baseModel) meta.base_model = f.baseModel;

  const name = f.repo.split('/')[1] ?? f.repo;
  const lines: string[] = [`---\n${stringify(meta).trimEnd()}\n---`, '', `# ${name}`, ''];
  lines.push(f.description ?? `An OpenCLIP${f.architecture ? ` ${f.architecture}` : ''} model${f.baseModel ? `, derived from [${f.baseModel}](https://huggingface.co/${f.baseModel})` : ''}.`, '');

  const facts: string[] = [];
  if (f.architecture) facts.push(`| Architecture | ${f.architecture} |`);
  if (f.params?.total !== undefined) facts.push(`| Parameters | ${fmtCount(f.params.total)} |`);
  if (f.params?.image !== undefined) facts.push(`| Image tower parameters | ${fmtCount(f.params.image)} |`);
  if (f.params?.text !== undefined) facts.push(`| Text tower parameters | ${fmtCount(f.params.text)} |`);
  if (f.gflops?.total !== undefined) facts.push(`| GFLOPs | ${f.gflops.total} |`);
  if (f.gflops?.image !== undefined) facts.push(`| Image GFLOPs | ${f.gflops.image} |`);
  if (f.gflops?.text !== undefined) facts.push(`| Text GFLOPs | ${f.gflops.text} |`);
  if (facts.length) lines.push('## Model facts', '', '| | |', '| --- | --- |', ...facts, '');
  if (f.zeroShot?.length) {
    lines.push('## Zero-shot results', '', '| Dataset | Metric | Value |', '| --- | --- | --- |');
    for (const z of f.zeroShot) lines.push(`| ${z.dataset} | ${z.metric ?? 'top-1'} | ${z.value} |`);
    lines.push('');
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
  if (f.hasOnnx) lines.push('The `onnx/` folder holds an ONNX export (see `onnx/cliphub.json`) for runtimes without PyTorch.', '');
  if (f.validation) {
    lines.push('## Validation', '', `cliphub validate: **${f.validation.passed ? 'passed' : 'FAILED'}**${f.validation.summary ? `: ${f.validation.summary}` : ''}`, '');
    if (f.validation.checks?.length) {
      lines.push('| Check | Result | Detail |', '| --- | --- | --- |');
      for (const c of f.validation.checks) lines.push(`| ${c.name} | ${c.passed ? 'pass' : 'fail'} | ${c.detail ?? ''} |`);
      lines.push('');
    }
  }
  return lines.join('\n');
}
