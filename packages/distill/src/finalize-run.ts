import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { MAX_CONFIG_FILE_BYTES, readSmallTextFile } from '@cliphub/core';
import {
  convertToOnnx,
  convertToSafetensors,
  SAFETENSORS_NAME,
  type ConvertReport,
  type OnnxConvertOptions,
  type OnnxConvertReport,
} from '@cliphub/convert';
import { requireToken, parseRepoId, summarizeValidation, type PushResult, type ValidationSummary } from '@cliphub/hub';
import {
  toJson,
  validateArtifact,
  writeReports,
  type ProfileOverrides,
  type ValidationResult,
} from '@cliphub/validate';
import { DistillError } from './errors.js';
import { findLatestCheckpoint, type FoundCheckpoint } from './find-checkpoint.js';
import { publishRun } from './publish-run.js';
import {
  defaultPython,
  findReferenceScript,
  makeReference,
  probeReferencePython,
  type ReferencePython,
} from './reference-python.js';

export interface FinalizeOptions {
  /** Where the converted model goes. Default: RUN_DIR/final. */
  outDir?: string;
  /** Replace an earlier finalize's output in outDir. */
  force?: boolean;
  /** ONNX export precision (default fp32). */
  onnxDtype?: OnnxConvertOptions['dtype'];
  /** ONNX towers to export (default both). */
  towers?: OnnxConvertOptions['towers'];
  /** Validate the ONNX export against a reference made by open_clip (default true). */
  validate?: boolean;
  /** The interpreter with open_clip that makes the reference. Default: $PYTHON, else python3. */
  python?: string;
  /** tools/reference/make_reference.py; default $CLIPHUB_MAKE_REFERENCE or the one in this checkout. */
  referenceScript?: string;
  /** Seeded samples in the reference (default 4). */
  samples?: number;
  seed?: number;
  /** @cliphub/validate tolerance profile: auto (from the export's precision) or a name (default auto). */
  profile?: string;
  overrides?: ProfileOverrides;
  /** Publish after a passing validation (or with validate: false). */
  push?: { repo: string; hubUrl?: string; token?: string; private?: boolean };
  /** For the child Python and the Hub token (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface FinalizeValidation {
  verdict: 'pass' | 'fail';
  result: ValidationResult;
  /** report.json (the `cliphub validate --json` format), junit.xml, report.html. */
  reports: { json: string; junit: string; html: string };
  reference: string;
  python: ReferencePython;
  summary: ValidationSummary;
}

export interface FinalizeResult {
  found: FoundCheckpoint;
  /** The student's --model from the run's params.txt (what the checkpoint holds). */
  model: string | null;
  /** The teacher from params.txt, e.g. "ViT-L-14-quickgelu (openai)". */
  teacher: string | null;
  outDir: string;
  convert: ConvertReport;
  onnx: OnnxConvertReport;
  /** null when validation was skipped (validate: false). */
  validation: FinalizeValidation | null;
  /** null when not asked to push, or when validation failed (nothing is published then). */
  push: PushResult | null;
  notes: string[];
}

/** Reads `key: value` lines from open_clip_train's params.txt. */
export function readRunParams(runDir: string): Record<string, string> {
  const file = path.join(runDir, 'params.txt');
  if (!existsSync(file)) return {};
  const out: Record<string, string> = {};
  for (const line of readSmallTextFile(file, MAX_CONFIG_FILE_BYTES, 'params.txt').split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 2);
  }
  return out;
}

const given = (v: string | undefined): string | null => (v && v !== 'None' ? v : null);
// A card is public: local paths (a local-dir: teacher, a pretrained file) are shown by their last name only.
const publicName = (s: string): string => s.replace(/(^|local-dir:|\()(\/[^\s()]*\/)([^/\s()]+)/g, '$1$3');

/**
 * Finalizes an open_clip_train run: the newest checkpoint becomes open_clip's Hub layout (verified
 * safetensors + config) and an ONNX export under onnx/; real open_clip (make_reference.py, in the
 * training Python) embeds seeded inputs with the converted weights, and @cliphub/validate compares
 * the ONNX export with that reference. A passing model can then be published in one commit.
 *
 * Layout of outDir: open_clip_model.safetensors, open_clip_config.json, onnx/, validation/.
 */
export async function finalizeRun(runDir: string, options: FinalizeOptions = {}): Promise<FinalizeResult> {
  const env = options.env ?? process.env;
  const found = findLatestCheckpoint(runDir);
  const params = readRunParams(found.runDir);
  const model = given(params.model);
  const teacherModel = given(params.distill_model);
  const teacher = teacherModel
    ? `${teacherModel}${given(params.distill_pretrained) ? ` (${params.distill_pretrained})` : ''}`
    : null;
  const outDir = path.resolve(options.outDir ?? path.join(found.runDir, 'final'));
  const onnxDir = path.join(outDir, 'onnx');
  const validationDir = path.join(outDir, 'validation');
  const validate = options.validate ?? true;
  const notes: string[] = [];

  // Everything that can fail fast is checked before the (long) conversions.
  if (existsSync(path.join(outDir, SAFETENSORS_NAME)) && !options.force) {
    throw new DistillError(
      'OUT_EXISTS',
      `${outDir} already holds a finalized model; pass --force to replace it or --out another folder`,
    );
  }
  if (options.push) {
    parseRepoId(options.push.repo);
    if (!options.push.token) requireToken(env);
  }
  let python: ReferencePython | null = null;
  let script = '';
  if (validate) {
    python = await probeReferencePython(options.python ?? defaultPython(env), env);
    script = findReferenceScript(options.referenceScript, env);
  } else {
    notes.push('validation skipped (--no-validate): the ONNX export was not compared with open_clip');
  }
  if (options.force) for (const d of [onnxDir, validationDir]) rmSync(d, { recursive: true, force: true });

  const quick = params.force_quick_gelu === 'True';
  const convert = await convertToSafetensors({
    input: found.checkpoint,
    outDir,
    ...(model ? { model } : {}),
    // --force-quick-gelu overrides the config in open_clip_train, so it must here too
    ...(quick ? { activation: 'quickgelu' as const, force: true } : {}),
    verify: true,
  });
  // Exported from the verified safetensors folder, so the ONNX, the reference and the upload share one source.
  const onnx = await convertToOnnx({
    input: outDir,
    outDir: onnxDir,
    dtype: options.onnxDtype ?? 'fp32',
    ...(options.towers ? { towers: options.towers } : {}),
  });

  let validation: FinalizeValidation | null = null;
  if (python) {
    const reference = path.join(validationDir, 'reference.safetensors');
    await makeReference({
      python: python.python,
      script,
      modelDir: outDir,
      out: reference,
      samples: options.samples ?? 4,
      seed: options.seed ?? 0,
      env,
    });
    const result = await validateArtifact({
      artifact: onnxDir,
      reference,
      against: 'cpu_fp32',
      profile: options.profile ?? 'auto',
      ...(options.overrides ? { overrides: options.overrides } : {}),
      name: 'onnx',
    });
    const reports = await writeReports(validationDir, {
      results: [result],
      title: `cliphub distill finalize: ${path.basename(found.checkpoint)}`,
    });
    const summary = summarizeValidation(toJson({ results: [result] }), 'report.json');
    validation = { verdict: result.verdict, result, reports, reference, python, summary };
  }

  let push: PushResult | null = null;
  if (options.push) {
    if (validation?.verdict === 'fail')
      notes.push(`not published to ${options.push.repo}: validation failed (see ${validation.reports.json})`);
    else {
      push = await publishRun({
        repo: options.push.repo,
        modelDir: outDir,
        onnxDir,
        convert,
        ...(validation && { validation: validation.summary }),
        ...(teacher && { teacher: publicName(teacher) }),
        ...(options.push.hubUrl && { hubUrl: options.push.hubUrl }),
        ...(options.push.token && { token: options.push.token }),
        ...(options.push.private !== undefined && { private: options.push.private }),
        env,
      });
    }
  }
  return { found, model, teacher, outDir, convert, onnx, validation, push, notes };
}
