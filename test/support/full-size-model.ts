import { existsSync } from 'node:fs';
import path from 'node:path';
import { runPythonAsync } from './oracle.js';
import { repoRoot } from './paths.js';

// The real open_clip `arch` at full size, every float parameter perturbed (seeded), saved as a fixture folder
// (open_clip_model.safetensors, open_clip_config.json, reference.safetensors with CPU fp32 embeddings of seeded
// pixels and of `texts` through open_clip's tokenizer, or an HF tokenizer folder when one is given).
const MAKE = `
import json, os, shutil, sys
import torch, open_clip
from open_clip.tokenizer import HFTokenizer
from safetensors.torch import save_file
arch, out, seed, n, texts, hf = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), json.loads(sys.argv[5]), sys.argv[6]
torch.manual_seed(seed)
model = open_clip.create_model(arch, pretrained=None).eval()
g = torch.Generator().manual_seed(seed)
with torch.no_grad():
    for p in model.parameters():
        if p.is_floating_point():
            p.add_(torch.randn(p.shape, generator=g) * 0.02)
cfg = open_clip.get_model_config(arch)
text_cfg = cfg['text_cfg']
tokenizer = (HFTokenizer(hf, context_length=text_cfg.get('context_length', 77), **text_cfg.get('tokenizer_kwargs', {}))
             if hf else open_clip.get_tokenizer(arch))
ids = tokenizer(texts)
size = cfg['vision_cfg'].get('image_size', 224)
pixels = torch.randn(n, 3, size, size, generator=g)
with torch.no_grad():
    img = model.encode_image(pixels).float()
    txt = model.encode_text(ids).float()
ref = {'inputs.pixel_values': pixels, 'inputs.input_ids': ids.long(), 'cpu_fp32.image_embeds': img,
       'cpu_fp32.text_embeds': txt, 'logit_scale': model.logit_scale.detach().reshape(1)}
if getattr(model, 'logit_bias', None) is not None:
    ref['logit_bias'] = model.logit_bias.detach().reshape(1)
# a folder of this process's own, renamed at the end: test files that run side by side may make it at once
tmp = out + '.' + str(os.getpid()) + '.tmp'
os.makedirs(tmp, exist_ok=True)
save_file({k: v.detach().contiguous() for k, v in model.state_dict().items()}, os.path.join(tmp, 'open_clip_model.safetensors'))
save_file({k: v.contiguous() for k, v in ref.items()}, os.path.join(tmp, 'reference.safetensors'),
          metadata={'texts': json.dumps(texts)})
with open(os.path.join(tmp, 'open_clip_config.json'), 'w') as f:
    json.dump({'model_cfg': cfg}, f)
try:
    os.rename(tmp, out)
except OSError:  # another process finished first
    shutil.rmtree(tmp)
`;

/**
 * Makes (once, cached under .cache/full-size-model/<arch>) the full-size open_clip fixture of `arch` with
 * reference embeddings of `images` seeded random images and `texts`; `hfTokenizer` replaces open_clip's own
 * tokenizer (for configs whose tokenizer lives on the Hub). Returns the folder.
 */
export async function fullSizeModel(
  arch: string,
  texts: string[],
  { images = 2, seed = 0, hfTokenizer = '' }: { images?: number; seed?: number; hfTokenizer?: string } = {},
): Promise<string> {
  const dir = path.join(repoRoot, '.cache', 'full-size-model', arch);
  if (!existsSync(dir)) {
    // async: a minute of Python in a sync call would starve the vitest worker's RPC
    await runPythonAsync(MAKE, [arch, dir, String(seed), String(images), JSON.stringify(texts), hfTokenizer]);
  }
  return dir;
}
