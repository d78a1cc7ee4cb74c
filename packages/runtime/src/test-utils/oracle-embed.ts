// Test helper: one oracle Python process computes open_clip's embeddings (PIL preprocess, its own tokenizer) and
// the README zero-shot recipe with the model's logit_scale.exp(), for several model dirs at once.
import { pythonJson } from '#test-support';
import { compareRows as compareRowsFlat } from '@cliphub/core';

export interface OracleCase {
  key: string;
  dir: string;
  images: string[];
  texts: string[];
  /** zero-shot: the image and label prompts */
  zs?: { image: string; prompts: string[] };
}

export interface OracleOut {
  image: number[][];
  text: number[][];
  probs?: number[];
  scale: number;
}

const SCRIPT = `
import json, sys, torch, open_clip
from PIL import Image
cases = json.load(open(sys.argv[1]))
out = {}
with torch.no_grad():
    for c in cases:
        model, preprocess = open_clip.create_model_from_pretrained('local-dir:' + c['dir'])
        model.eval()
        r = {'scale': float(model.logit_scale.exp())}
        if c['images']:
            px = torch.stack([preprocess(Image.open(f)) for f in c['images']])
            r['image'] = model.encode_image(px).tolist()
        else:
            r['image'] = []
        if c['texts']:
            tok = open_clip.get_tokenizer('local-dir:' + c['dir'])
            r['text'] = model.encode_text(tok(c['texts'])).tolist()
        else:
            r['text'] = []
        if c.get('zs'):
            tok = open_clip.get_tokenizer('local-dir:' + c['dir'])
            image = preprocess(Image.open(c['zs']['image'])).unsqueeze(0)
            f_i = model.encode_image(image); f_t = model.encode_text(tok(c['zs']['prompts']))
            f_i = f_i / f_i.norm(dim=-1, keepdim=True); f_t = f_t / f_t.norm(dim=-1, keepdim=True)
            # open_clip's README recipe, with the model's own scale instead of the hard-coded 100
            r['probs'] = (model.logit_scale.exp() * f_i @ f_t.T).softmax(dim=-1)[0].tolist()
        out[c['key']] = r
print(json.dumps(out))
`;

export function oracleEmbed(casesFile: string): Record<string, OracleOut> {
  return pythonJson<Record<string, OracleOut>>(SCRIPT, [casesFile]);
}

/** min cosine and max |Δ| between row-major [n, d] embeddings and the oracle's rows; -1 when the shapes differ. */
export function compareRows(got: Float32Array, want: number[][], d: number): { minCos: number; maxAbs: number } {
  const { minCos, maxAbs } = compareRowsFlat(got, Float64Array.from(want.flat()), d);
  const sameShape = got.length === want.length * d && want.every((row) => row.length === d);
  return { minCos: sameShape ? minCos : -1, maxAbs };
}
