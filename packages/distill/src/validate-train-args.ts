import { closestNames } from '@cliphub/registry';
import { DistillError } from './errors.js';
import { OPEN_CLIP_TRAIN_ARGS, OPEN_CLIP_TRAIN_VERSION } from './open-clip-train-args.generated.js';
import type { TrainArgSpec } from './train-arg-spec.js';

const byFlag = new Map(OPEN_CLIP_TRAIN_ARGS.map((a) => [a.flag, a]));

// What Python's int() and float() accept for the values we emit (argparse calls them on the string).
const INT = /^\s*[-+]?\d+(_\d+)*\s*$/;
const FLOAT = /^\s*[-+]?((\d+(_\d+)*)?\.?\d+(_\d+)*([eE][-+]?\d+)?|\d+\.|inf(inity)?|nan)\s*$/i;

function checkValue(spec: TrainArgSpec, value: string): void {
  if (spec.type === 'int' && !INT.test(value)) {
    throw new DistillError(
      'BAD_FLAG_VALUE',
      `${spec.flag} takes an integer, got '${value}'; fix the recipe value that sets it`,
    );
  }
  if (spec.type === 'float' && !FLOAT.test(value)) {
    throw new DistillError(
      'BAD_FLAG_VALUE',
      `${spec.flag} takes a number, got '${value}'; fix the recipe value that sets it`,
    );
  }
  if (spec.choices && !spec.choices.includes(value)) {
    throw new DistillError('BAD_FLAG_VALUE', `${spec.flag} must be one of ${spec.choices.join(', ')}, got '${value}'`);
  }
}

/**
 * Checks an argument list against open_clip_train's argparse table: every flag exists (spelled in full,
 * since abbreviations break when upstream adds flags), switches take no value, values parse as the
 * flag's type and sit in its choices, lists get enough values. Throws the first problem found.
 */
export function validateTrainArgs(argv: readonly string[]): void {
  let i = 0;
  while (i < argv.length) {
    const token = argv[i]!;
    const spec = byFlag.get(token);
    if (!spec) {
      const hint = token.startsWith('--') ? closestNames(token, [...byFlag.keys()]) : [];
      throw new DistillError(
        'UNKNOWN_FLAG',
        token.startsWith('--')
          ? `'${token}' is not an open_clip_train ${OPEN_CLIP_TRAIN_VERSION} argument${hint.length ? ` (did you mean ${hint.join(', ')}?)` : ''}; remove it from the recipe's extraArgs`
          : `'${token}' is a value with no flag before it; every extra argument must follow its --flag`,
      );
    }
    i++;
    const values: string[] = [];
    while (i < argv.length && !(argv[i]!.startsWith('--') && byFlag.has(argv[i]!)) && !/^--[a-z]/.test(argv[i]!))
      values.push(argv[i++]!);
    if (spec.kind === 'switch') {
      if (values.length > 0)
        throw new DistillError(
          'BAD_FLAG_VALUE',
          `${spec.flag} is a switch and takes no value, got '${values.join(' ')}'`,
        );
      continue;
    }
    if (spec.kind === 'value') {
      if (values.length !== 1)
        throw new DistillError('BAD_FLAG_VALUE', `${spec.flag} takes exactly one value, got ${values.length}`);
      checkValue(spec, values[0]!);
      continue;
    }
    if (values.length < spec.minValues)
      throw new DistillError('BAD_FLAG_VALUE', `${spec.flag} needs at least ${spec.minValues} value(s)`);
    if (spec.kind === 'kwargs') {
      const bad = values.find((v) => !v.includes('='));
      if (bad) throw new DistillError('BAD_FLAG_VALUE', `${spec.flag} takes KEY=VALUE pairs, got '${bad}'`);
      continue;
    }
    for (const v of values) checkValue(spec, v);
  }
}

/** The argparse entry for a flag, or undefined. */
export function trainArgSpec(flag: string): TrainArgSpec | undefined {
  return byFlag.get(flag);
}
