import { runPython } from '#test-support';

/**
 * Exports open_clip models to cliphub's ONNX layout with torch.onnx.export (TorchScript exporter), so the
 * validator is tested against ONNX files that do not come from cliphub's own exporter.
 * Each job: {dir: fixture model dir, out: ONNX dir, quick_gelu?: override, perturb?: weight name, towers?}.
 */
export interface OracleOnnxJob {
  dir: string;
  out: string;
  quickGelu?: boolean;
  perturb?: string;
  towers?: Array<'vision' | 'text'>;
  /** End the graphs in L2 normalization (encode_*(normalize=True)) and say so in cliphub.json. */
  normalize?: boolean;
  /** Activations to declare in cliphub.json, as cliphub's exporter records them. */
  declare?: { vision?: string; text?: string };
}

const CODE = String.raw`
import json, os, sys, torch, open_clip
from safetensors.torch import load_file
torch.set_num_threads(1)
# nn.MultiheadAttention's fused inference path has no ONNX symbolic; the plain path exports.
torch.backends.mha.set_fastpath_enabled(False)

class Tower(torch.nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn
    def forward(self, x):
        return self.fn(x)

for job in json.loads(sys.argv[1]):
    cfg = json.load(open(os.path.join(job["dir"], "open_clip_config.json")))["model_cfg"]
    if job.get("quick_gelu") is not None:
        cfg = dict(cfg, quick_gelu=job["quick_gelu"])
    cfg = dict(cfg)
    cls = open_clip.CustomTextCLIP if cfg.pop("custom_text", False) else open_clip.CLIP
    model = cls(**cfg)
    sd = load_file(os.path.join(job["dir"], "open_clip_model.safetensors"))
    if job.get("perturb"):
        w = sd[job["perturb"]]
        sd[job["perturb"]] = w + torch.randn(w.shape, generator=torch.Generator().manual_seed(1)) * w.std()
    model.load_state_dict(sd)
    model.eval().requires_grad_(False)
    os.makedirs(job["out"], exist_ok=True)
    size = cfg["vision_cfg"]["image_size"]
    ctx = cfg["text_cfg"].get("context_length", 77)
    towers = job.get("towers") or ["vision", "text"]
    norm = bool(job.get("normalize"))
    specs = {
        "vision": (lambda x: model.encode_image(x, normalize=norm), torch.randn(2, 3, size, size), "pixel_values", "image_embeds"),
        "text": (lambda x: model.encode_text(x, normalize=norm), torch.ones(2, ctx, dtype=torch.long), "input_ids", "text_embeds"),
    }
    for t in towers:
        fn, example, iname, oname = specs[t]
        torch.onnx.export(Tower(fn), (example,), os.path.join(job["out"], f"{t}.onnx"), input_names=[iname],
                          output_names=[oname], dynamic_axes={iname: {0: "batch"}, oname: {0: "batch"}},
                          opset_version=17, dynamo=False)
    manifest = {"dtype": "fp32", "normalize": norm, "exporter": "torch.onnx.export (test oracle)"}
    if job.get("declare"):
        manifest["activation"] = job["declare"]
    json.dump(manifest, open(os.path.join(job["out"], "cliphub.json"), "w"))
print("ok")
`;

/** Runs every job in one Python process (torch import dominates the cost). */
export function exportWithOracle(jobs: OracleOnnxJob[]): void {
  const payload = jobs.map((j) => ({
    dir: j.dir,
    out: j.out,
    quick_gelu: j.quickGelu ?? null,
    perturb: j.perturb ?? null,
    towers: j.towers ?? null,
    normalize: j.normalize ?? false,
    declare: j.declare ?? null,
  }));
  runPython(CODE, [JSON.stringify(payload)]);
}
