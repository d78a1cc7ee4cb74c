import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '#test-support';
import { exportOnnx, type ExportOptions, type ModelCfg } from './index.js';
import { ModelProto } from './proto.js';
import { memorySource, syntheticWeights, TINY_CFG } from './test-utils/memory-source.js';

interface DecodedGraph {
  node: Array<{ op_type: string; input?: string[]; output?: string[] }>;
  initializer?: Array<{ name: string }>;
  output?: Array<{ name: string }>;
}

/** Initializers no node reads, and nodes none of whose outputs are read (onnxruntime warns about the first). */
function deadWeight(file: string): { unusedInitializers: string[]; deadNodes: string[] } {
  const model = ModelProto.toObject(ModelProto.decode(readFileSync(file))) as { graph: DecodedGraph };
  const g = model.graph;
  const read = new Set<string>([...g.node.flatMap((n) => n.input ?? []), ...(g.output ?? []).map((o) => o.name)]);
  return {
    unusedInitializers: (g.initializer ?? []).map((i) => i.name).filter((name) => !read.has(name)),
    deadNodes: g.node.filter((n) => !(n.output ?? []).some((o) => read.has(o))).map((n) => n.op_type),
  };
}

// TINY_CFG has one block per tower, where the pooled row skips full self-attention: the int8 export used to
// leave the attention reshape constant `const_3` behind, and onnxruntime warned about it on every load.
const TWO_LAYERS: ModelCfg = {
  ...TINY_CFG,
  vision_cfg: { ...TINY_CFG.vision_cfg, layers: 2 },
  text_cfg: { ...TINY_CFG.text_cfg, layers: 2 },
};
const VARIANTS: Array<[string, ExportOptions]> = [
  ['int8', { dtype: 'int8' }],
  ['fp16', { dtype: 'fp16' }],
  ['fp32', {}],
  ['fp32 plain', { contribOps: false }],
];

describe('exported graphs carry no unused initializers or dead nodes', () => {
  const tmp = tempDir('cliphub-onnx-unused-');
  afterAll(() => tmp.cleanup());

  for (const [cfgName, cfg] of [
    ['one block per tower', TINY_CFG],
    ['two blocks per tower', TWO_LAYERS],
  ] as const) {
    for (const [variant, options] of VARIANTS) {
      it(`${variant}, ${cfgName}`, async () => {
        const out = `${tmp.dir}/${variant.replace(' ', '-')}-${cfg === TINY_CFG ? 1 : 2}`;
        const result = await exportOnnx(cfg, memorySource(syntheticWeights(cfg)), out, options);
        expect(result.towers.map((t) => t.tower).sort()).toEqual(['text', 'vision']);
        for (const tower of result.towers) {
          expect({ tower: tower.tower, ...deadWeight(tower.path) }).toEqual({
            tower: tower.tower,
            unusedInitializers: [],
            deadNodes: [],
          });
        }
      });
    }
  }
});
