import { describe, expect, it } from 'vitest';
import { hasOracle, runPythonAsync } from '#test-support';
import { catalog } from './catalog.js';
import { mparamsFromConfig } from './params.js';

const COUNT = `
import json, sys
import open_clip
out = {}
for arch in sys.argv[1:]:
    m = open_clip.create_model(arch, pretrained=None)
    out[arch] = round(sum(p.numel() for p in m.parameters()) / 1e6, 2)
print(json.dumps(out))
`;

describe('mparamsFromConfig', () => {
  it.skipIf(!hasOracle)('matches the parameter counts of the real open_clip models', { timeout: 300_000 }, async () => {
    const archs = ['ViTamin-S', 'ViTamin-S-LTT', 'ViTamin-B'];
    const lines = (await runPythonAsync(COUNT, archs)).trim().split('\n');
    const counted = JSON.parse(lines[lines.length - 1] as string) as Record<string, number>;
    const { byArch } = catalog();
    for (const arch of archs) expect(mparamsFromConfig(byArch.get(arch)!.config), arch).toBe(counted[arch]);
  });

  it('covers every ViTamin architecture and answers null for towers it does not know', () => {
    const { architectures, byArch } = catalog();
    for (const a of architectures.filter((x) => x.name.startsWith('ViTamin-')))
      expect(mparamsFromConfig(a.config), a.name).toBeGreaterThan(0);
    expect(mparamsFromConfig(byArch.get('swin_base_patch4_window7_224')!.config)).toBeNull();
  });
});
