import { describe, expect, it } from 'vitest';
import { DistillError } from './errors.js';
import { OPEN_CLIP_TRAIN_ARGS } from './open-clip-train-args.generated.js';
import { validateTrainArgs } from './validate-train-args.js';

function fails(argv: string[]): DistillError {
  try {
    validateTrainArgs(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(DistillError);
    return e as DistillError;
  }
  throw new Error(`accepted ${argv.join(' ')}`);
}

describe('validateTrainArgs', () => {
  it('holds open_clip_train 3.3.0 argument table, help excluded', () => {
    expect(OPEN_CLIP_TRAIN_ARGS).toHaveLength(90);
    expect(OPEN_CLIP_TRAIN_ARGS.find((a) => a.flag === '--distill-model')?.kind).toBe('value');
    expect(OPEN_CLIP_TRAIN_ARGS.find((a) => a.flag === '--image-mean')).toMatchObject({
      kind: 'list',
      type: 'float',
      minValues: 1,
    });
  });

  it('accepts switches, values, lists and kwargs', () => {
    expect(() =>
      validateTrainArgs([
        '--model',
        'ViT-B-32',
        '--local-loss',
        '--lr',
        '1e-3',
        '--image-mean',
        '0.5',
        '0.5',
        '0.5',
        '--precision',
        'amp_bf16',
        '--aug-cfg',
        'scale=(0.9,1.0)',
        '--epochs',
        '3',
      ]),
    ).not.toThrow();
  });

  it('rejects a flag open_clip_train does not have, suggesting the nearest', () => {
    const e = fails(['--distil-model', 'ViT-L-14']);
    expect(e.code).toBe('UNKNOWN_FLAG');
    expect(e.exitCode).toBe(2);
    expect(e.message).toMatch(
      /'--distil-model' is not an open_clip_train 3\.3\.0 argument \(did you mean --distill-model/,
    );
  });

  it('rejects values of the wrong type or outside the choices', () => {
    expect(fails(['--batch-size', '25.5']).message).toBe(
      "--batch-size takes an integer, got '25.5'; fix the recipe value that sets it",
    );
    expect(fails(['--lr', 'fast']).message).toMatch(/--lr takes a number, got 'fast'/);
    expect(fails(['--precision', 'fp8']).message).toMatch(/--precision must be one of amp, amp_bf16, .*got 'fp8'/);
  });

  it('rejects a value given to a switch and a missing value', () => {
    expect(fails(['--local-loss', 'yes']).message).toMatch(/--local-loss is a switch and takes no value/);
    expect(fails(['--model']).message).toMatch(/--model takes exactly one value, got 0/);
    expect(fails(['--image-std']).message).toMatch(/--image-std needs at least 1 value/);
  });
});
