import path from 'node:path';
import type { ModelFacts } from './model-facts.js';
import type { Recipe } from './recipe-schema.js';
import type { Schedule } from './schedule.js';

export interface TrainArgsContext {
  recipe: Recipe;
  teacher: ModelFacts;
  student: ModelFacts;
  schedule: Schedule;
  /** Where emit writes model folders for custom configs. */
  outDir: string;
}

const str = (n: number): string => String(n);

/** The folder a custom-config model is written to by emit. */
export function localModelDir(outDir: string, facts: ModelFacts): string {
  return path.join(path.resolve(outDir), 'models', facts.role);
}

function modelName(facts: ModelFacts, outDir: string): string {
  return facts.localDir ? `local-dir:${localModelDir(outDir, facts)}` : facts.trainModel;
}

/** The exact argument list for open_clip_train.main, in a stable order. */
export function buildTrainArgs({ recipe, teacher, student, schedule, outDir }: TrainArgsContext): string[] {
  const a: string[] = [];
  const { data, schedule: s, logging, student: st } = recipe;
  a.push('--model', modelName(student, outDir));
  if (student.trainPretrained) a.push('--pretrained', student.trainPretrained);
  if (student.forceQuickGelu) a.push('--force-quick-gelu');
  const o = st.overrides;
  if (o?.imageMean) a.push('--image-mean', ...o.imageMean.map(str));
  if (o?.imageStd) a.push('--image-std', ...o.imageStd.map(str));
  if (o?.imageSize) a.push('--force-image-size', str(o.imageSize));
  if (o?.contextLength) a.push('--force-context-length', str(o.contextLength));
  // main.py distills only when both are set; under local-dir: the pretrained value is ignored.
  a.push('--distill-model', modelName(teacher, outDir), '--distill-pretrained', teacher.trainPretrained ?? 'none');

  a.push('--dataset-type', data.kind);
  if (data.kind === 'webdataset') {
    a.push('--train-data', Array.isArray(data.shards) ? data.shards.join('::') : data.shards);
    a.push('--train-num-samples', str(schedule.samplesPerEpoch));
    if (data.resampled) a.push('--dataset-resampled');
    if (data.upsampling) a.push('--train-data-upsampling-factors', data.upsampling.map(str).join('::'));
  } else if (data.kind === 'csv') {
    a.push(
      '--train-data',
      data.path,
      '--csv-img-key',
      data.imgKey,
      '--csv-caption-key',
      data.captionKey,
      '--csv-separator',
      data.separator,
    );
  } else {
    a.push('--train-num-samples', str(schedule.samplesPerEpoch));
  }
  if (recipe.val) a.push('--val-data', recipe.val.shards, '--val-num-samples', str(recipe.val.samples));
  if (recipe.imagenetVal)
    a.push('--imagenet-val', recipe.imagenetVal, '--zeroshot-frequency', str(logging.zeroshotFrequency));

  a.push('--batch-size', str(s.batchPerGpu), '--epochs', str(schedule.epochs));
  a.push('--lr', str(s.lr), '--wd', str(s.wd), '--warmup', str(s.warmup));
  a.push(
    '--precision',
    s.precision,
    '--workers',
    str(s.workers),
    '--seed',
    str(s.seed),
    '--accum-freq',
    str(s.accumFreq),
  );
  if (s.gradCheckpointing) a.push('--grad-checkpointing');
  if (s.gradClipNorm !== undefined) a.push('--grad-clip-norm', str(s.gradClipNorm));
  if (s.localLoss) a.push('--local-loss');
  if (s.gatherWithGrad) a.push('--gather-with-grad');

  a.push(
    '--logs',
    logging.dir,
    '--name',
    logging.name,
    '--log-every-n-steps',
    str(logging.logEveryNSteps),
    '--save-frequency',
    str(logging.saveFrequency),
  );
  if (logging.reportTo !== 'none') a.push('--report-to', logging.reportTo);
  if (logging.wandbProject) a.push('--wandb-project-name', logging.wandbProject);
  if (recipe.resume === 'latest') a.push('--save-most-recent', '--resume', 'latest');
  else if (recipe.resume !== 'none') a.push('--resume', recipe.resume);
  if (recipe.hardware.device === 'cpu') a.push('--device', 'cpu');
  a.push(...recipe.extraArgs);
  return a;
}
