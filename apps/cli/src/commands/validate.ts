import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  checkpointExporter,
  loadProfileOverrides,
  loadSuite,
  runSuite,
  summaryTable,
  toJson,
  toJunitXml,
  validateArtifact,
  writeReports,
  type ProfileOverrides,
  type Regression,
  type ValidationResult,
} from '@cliphub/validate';
import {
  EXIT_BAD_INPUT,
  EXIT_CHECK_FAILED,
  EXIT_OK,
  parseCommandArgs,
  UsageError,
  writeJson,
  type Command,
  type CommandIO,
} from '../command.js';

const usage = `Usage: cliphub validate <artifact> --reference FILE [options]
       cliphub validate --suite suite.yaml [options]

Checks that a converted model computes the same embeddings as a reference made by open_clip
(tools/reference/make_reference.py; format in docs/reference-format.md).

<artifact>   an ONNX dir (vision.onnx / text.onnx, run on onnxruntime CPU), a checkpoint dir
             (open_clip_config.json + safetensors, exported to ONNX on the fly), or an
             embeddings file in the reference format (FILE.safetensors or FILE.safetensors#SET
             for outputs computed elsewhere, e.g. TensorRT on a GPU box)

Options:
  --reference FILE     reference embeddings (.safetensors)
  --against SET        reference set to compare with (default cpu_fp32)
  --profile P          auto | fp32 | fp16 | bf16 | int8 | a name from --profiles (default auto:
                       from the artifact's precision)
  --profiles FILE      threshold overrides (.json or .yaml), e.g. {fp16: {minCosine: 0.9999}}
  --report DIR         write report.json, junit.xml and report.html (self-contained) into DIR
  --junit FILE         write JUnit XML (one testcase per model and tower)
  --json               print the full result as JSON
  --suite FILE         run every row of a suite (rows: [{artifact, reference, against, profile, name}]),
                       compare with its stored baseline and store the new results when all is well
  --update-baseline    (suite) store the results as the baseline even if rows failed or regressed
  --concurrency N      (suite) rows run at once (default: the suite's, else 4)
  -h, --help           this help

Exit codes: 0 pass, 1 a check failed or a metric regressed, 2 bad input.
`;

interface Outcome {
  results: ValidationResult[];
  regressions: Regression[];
  errors: Array<{ name: string; message: string }>;
}

async function emit(
  o: Outcome,
  values: { report?: string; junit?: string; json?: boolean },
  io: CommandIO,
  extra: string[],
): Promise<void> {
  if (values.report) await writeReports(path.resolve(io.cwd, values.report), o);
  if (values.junit) await writeFile(path.resolve(io.cwd, values.junit), toJunitXml(o.results, o));
  if (values.json) {
    writeJson(io, toJson(o));
    return;
  }
  io.stdout.write(summaryTable(o.results, o.regressions, o.errors));
  for (const r of o.results) for (const d of r.diagnosis) io.stdout.write(`${r.name}: ${d.message}\n`);
  for (const g of o.regressions) io.stdout.write(`regression: ${g.message}\n`);
  for (const e of o.errors) io.stderr.write(`cliphub: ${e.name}: ${e.message}\n`);
  for (const line of extra) io.stdout.write(`${line}\n`);
}

async function run(argv: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    reference: { type: 'string' },
    against: { type: 'string', default: 'cpu_fp32' },
    profile: { type: 'string', default: 'auto' },
    profiles: { type: 'string' },
    report: { type: 'string' },
    junit: { type: 'string' },
    json: { type: 'boolean', default: false },
    suite: { type: 'string' },
    'update-baseline': { type: 'boolean', default: false },
    concurrency: { type: 'string' },
  });
  const overrides: ProfileOverrides = values.profiles
    ? await loadProfileOverrides(path.resolve(io.cwd, values.profiles))
    : {};
  const work = await mkdtemp(path.join(tmpdir(), 'cliphub-validate-'));
  try {
    if (values.suite) {
      if (positionals.length)
        throw new UsageError('--suite runs the rows of the suite file; drop the <artifact> argument');
      if (values.reference) throw new UsageError('--suite takes references from its rows; drop --reference');
      let concurrency: number | undefined;
      if (values.concurrency !== undefined) {
        concurrency = Number(values.concurrency);
        if (!Number.isInteger(concurrency) || concurrency < 1)
          throw new UsageError(`--concurrency must be a positive integer, not '${values.concurrency}'`);
      }
      const suite = await loadSuite(path.resolve(io.cwd, values.suite));
      suite.overrides = { ...suite.overrides, ...overrides };
      const r = await runSuite(suite, {
        updateBaseline: values['update-baseline'],
        exportCheckpoint: checkpointExporter(),
        workDir: work,
        ...(concurrency ? { concurrency } : {}),
      });
      const note = r.baselineWritten
        ? `baseline ${r.baselineFound ? 'updated' : 'stored'}: ${suite.baseline}`
        : `baseline kept (${r.baselineFound ? 'failures or regressions' : 'failures'}; --update-baseline accepts the new numbers): ${suite.baseline}`;
      await emit(r, values, io, [note]);
      if (r.errors.length) return EXIT_BAD_INPUT;
      return r.regressions.length || r.results.some((x) => x.verdict === 'fail') ? EXIT_CHECK_FAILED : EXIT_OK;
    }
    if (positionals.length !== 1)
      throw new UsageError('validate takes exactly one <artifact> (or --suite FILE); see --help');
    if (!values.reference)
      throw new UsageError(
        '--reference FILE is required: the reference embeddings made by tools/reference/make_reference.py',
      );
    const result = await validateArtifact({
      artifact: path.resolve(io.cwd, positionals[0] as string),
      reference: path.resolve(io.cwd, values.reference),
      against: values.against,
      profile: values.profile,
      overrides,
      name: path.basename(positionals[0] as string),
      exportCheckpoint: checkpointExporter(),
      workDir: work,
    });
    await emit({ results: [result], regressions: [], errors: [] }, values, io, []);
    return result.verdict === 'pass' ? EXIT_OK : EXIT_CHECK_FAILED;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

const command: Command = {
  name: 'validate',
  summary: 'check a converted model against reference embeddings',
  usage,
  run,
};
export default command;
