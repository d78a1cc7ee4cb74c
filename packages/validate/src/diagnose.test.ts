import { describe, expect, it } from 'vitest';
import { diagnose } from './diagnose.js';
import type { TowerMetrics } from './metrics.js';
import { DEFAULT_PROFILES } from './profiles.js';

function tower(t: 'image' | 'text', samples: Array<[number, number]>, nonFinite = 0): TowerMetrics {
  const s = samples.map(([cosine, relL2]) => ({ cosine, relL2, maxAbs: relL2, nonFinite: 0 }));
  if (nonFinite) (s[0] as { nonFinite: number }).nonFinite = nonFinite;
  return {
    tower: t,
    samples: s,
    minCosine: Math.min(...samples.map((x) => x[0])),
    meanCosine: 0,
    maxAbs: 0,
    maxAbsRel: Math.max(...samples.map((x) => x[1])),
    maxRelL2: Math.max(...samples.map((x) => x[1])),
    nonFinite,
  };
}
const exact = (t: 'image' | 'text'): TowerMetrics =>
  tower(t, [
    [1, 1e-7],
    [1, 2e-7],
    [1, 1e-7],
  ]);
const fp32 = DEFAULT_PROFILES.fp32;

// The sample values are the ones measured with the oracle (see diagnose.ts).
describe('diagnose', () => {
  it('calls a consistent, moderate deviation in one fp32 tower a QuickGELU/GELU mismatch and names the tower', () => {
    const d = diagnose(
      [
        exact('image'),
        tower('text', [
          [0.99983, 0.018],
          [0.99991, 0.012],
          [0.99994, 0.01],
        ]),
      ],
      null,
      fp32,
      'fp32',
    );
    expect(d).toEqual([
      {
        kind: 'activation-mismatch',
        tower: 'text',
        message: expect.stringMatching(
          /^QuickGELU\/GELU mismatch suspected in the text tower.*while the image tower matches/,
        ),
      },
    ]);
  });

  it('calls a gross deviation a weights mismatch', () => {
    const d = diagnose(
      [
        tower('image', [
          [0.4, 1.7],
          [0.55, 1.2],
        ]),
        exact('text'),
      ],
      null,
      fp32,
      'fp32',
    );
    expect(d.map((x) => [x.kind, x.tower])).toEqual([['weights-mismatch', 'image']]);
  });

  it('calls an inconsistent deviation (one sample off) a weights mismatch, not an activation swap', () => {
    const d = diagnose(
      [
        tower('image', [
          [0.999999999, 1e-5],
          [0.9995, 0.03],
        ]),
        exact('text'),
      ],
      null,
      fp32,
      'fp32',
    );
    expect(d.map((x) => x.kind)).toEqual(['weights-mismatch']);
  });

  it('points a bf16 artifact failing fp32 at its own profile instead', () => {
    const d = diagnose(
      [
        tower('image', [
          [0.99997, 0.007],
          [0.99998, 0.006],
        ]),
        tower('text', [
          [0.99998, 0.006],
          [0.99999, 0.005],
        ]),
      ],
      null,
      fp32,
      'bf16',
    );
    expect(d.map((x) => x.kind)).toEqual(['reduced-precision', 'reduced-precision']);
    expect(d[0]?.message).toMatch(/--profile bf16/);
  });

  it('reports NaN/Inf first', () => {
    const d = diagnose([tower('image', [[NaN, NaN]], 3), exact('text')], null, fp32, 'fp32');
    expect(d[0]).toMatchObject({ kind: 'non-finite', tower: 'image' });
  });

  it('says nothing when every tower passes and the similarity matrix agrees', () => {
    expect(diagnose([exact('image'), exact('text')], null, fp32, 'fp32')).toEqual([]);
  });
});
