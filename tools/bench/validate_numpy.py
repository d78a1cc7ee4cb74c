"""numpy side of `npm run bench:validate` and of the validate scale test.

  make OUT_DIR N DIM SEED NOISE   writes OUT_DIR/reference.safetensors (cpu_fp32 set, tiny inputs,
                                  logit_scale) and OUT_DIR/candidate.safetensors (set cand_fp32: the
                                  reference plus per-sample noise of relative L2 size NOISE)
  metrics REF CAND SET OUT.json TOL MAX_PAIRS BLOCK_ELEMENTS
                                  computes what `cliphub validate` computes (per-sample tower metrics,
                                  logits in row blocks, argmax agreement both ways with the tie
                                  tolerance, Spearman over the same strided pairs, |d cos| quantiles and
                                  power-of-two histogram) with numpy, and writes them as JSON with the
                                  seconds it took (reading the files included)
"""

import json
import math
import sys
import time

import numpy as np
from safetensors.numpy import load_file, save_file

LOG2_MIN = -40
LOG2_BINS = 42
DIFF_QUANTILES = [0.5, 0.9, 0.99, 0.999]


def make(out_dir, n, dim, seed, noise):
    rng = np.random.default_rng(seed)
    image = rng.standard_normal((n, dim), dtype=np.float32)
    # texts correlated with their image, so the diagonal is the best match, as in a real paired set
    text = (0.6 * image + 0.8 * rng.standard_normal((n, dim), dtype=np.float32)).astype(np.float32)

    def noisy(x):
        scale = noise * np.linalg.norm(x, axis=1, keepdims=True) / math.sqrt(dim)
        return (x + scale * rng.standard_normal(x.shape, dtype=np.float32)).astype(np.float32)

    inputs = {
        "inputs.pixel_values": np.zeros((n, 3, 1, 1), dtype=np.float32),
        "inputs.input_ids": np.zeros((n, 1), dtype=np.int64),
    }
    save_file(
        {**inputs, "cpu_fp32.image_embeds": image, "cpu_fp32.text_embeds": text,
         "logit_scale": np.array(math.log(100.0), dtype=np.float32)},
        f"{out_dir}/reference.safetensors",
        metadata={"model_name": f"synthetic-{n}x{dim}"},
    )
    save_file(
        {"cand_fp32.image_embeds": noisy(image), "cand_fp32.text_embeds": noisy(text)},
        f"{out_dir}/candidate.safetensors",
    )


def tower_metrics(ref, cand, rows=4096):
    out = {"cosine": [], "maxAbs": [], "relL2": [], "nonFinite": 0}
    ref_max = 0.0
    for s in range(0, ref.shape[0], rows):
        r = ref[s:s + rows].astype(np.float64)
        c = cand[s:s + rows].astype(np.float64)
        d = c - r
        rr = (r * r).sum(1)
        cc = (c * c).sum(1)
        out["cosine"].append((r * c).sum(1) / np.sqrt(rr * cc))
        out["maxAbs"].append(np.abs(d).max(1))
        out["relL2"].append(np.sqrt((d * d).sum(1) / rr))
        out["nonFinite"] += int((~np.isfinite(cand[s:s + rows])).sum())
        ref_max = max(ref_max, float(np.abs(r).max()))
    cos, mx, rel = (np.concatenate(out[k]) for k in ("cosine", "maxAbs", "relL2"))
    return {"minCosine": float(cos.min()), "meanCosine": float(cos.mean()), "maxAbs": float(mx.max()),
            "maxAbsRel": float(mx.max() / ref_max), "maxRelL2": float(rel.max()),
            "nonFinite": out["nonFinite"], "cosine": cos, "relL2": rel}


def rankdata(x):
    """Average ranks of tied values (1-based)."""
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.r_[True, xs[1:] != xs[:-1]]
    dense = np.empty(len(x), dtype=np.int64)
    dense[order] = starts.cumsum()
    bounds = np.r_[np.nonzero(starts)[0], len(x)]
    return 0.5 * (bounds[dense] + bounds[dense - 1] + 1)


def spearman(a, b):
    if np.isnan(a).any() or np.isnan(b).any():
        return float("nan")
    ra = rankdata(a) - (len(a) + 1) / 2
    rb = rankdata(b) - (len(b) + 1) / 2
    da, db = (ra * ra).sum(), (rb * rb).sum()
    if da == 0 or db == 0:
        return 1.0 if da == db else 0.0
    return float((ra * rb).sum() / math.sqrt(da * db))


def similarity(ref_img, ref_txt, cand_img, cand_txt, scale, bias, tie, max_pairs, block_elements):
    n = ref_img.shape[0]
    inv = [1.0 / np.linalg.norm(x.astype(np.float64), axis=1) for x in (ref_img, ref_txt, cand_img, cand_txt)]
    tol = tie * scale
    pairs = n * n
    stride = max(1, -(-pairs // max_pairs))
    samples = {"ref": [], "snapped": [], "raw": []}
    col_best = {k: np.full(n, -np.inf) for k in ("ref", "snapped", "raw")}
    col_at = {k: np.zeros(n, dtype=np.int64) for k in ("ref", "snapped", "raw")}
    rows_agree = {"snapped": 0, "raw": 0}
    max_diff = 0.0
    hist = np.zeros(LOG2_BINS, dtype=np.int64)
    zero = 0
    rows_per_block = max(1, min(n, block_elements // n))
    for start in range(0, n, rows_per_block):
        stop = min(n, start + rows_per_block)
        ref = (ref_img[start:stop] @ ref_txt.T) * (scale * inv[0][start:stop, None]) * inv[1][None, :] + bias
        raw = (cand_img[start:stop] @ cand_txt.T) * (scale * inv[2][start:stop, None]) * inv[3][None, :] + bias
        diff = np.abs(raw - ref)
        max_diff = max(max_diff, float(diff.max()))
        snapped = np.where(diff <= tol, ref, raw)
        best = {k: m.argmax(1) for k, m in (("ref", ref), ("snapped", snapped), ("raw", raw))}
        for k in rows_agree:
            rows_agree[k] += int((best["ref"] == best[k]).sum())
        for k, m in (("ref", ref), ("snapped", snapped), ("raw", raw)):
            top, at = m.max(0), m.argmax(0) + start
            better = top > col_best[k]
            col_best[k] = np.where(better, top, col_best[k])
            col_at[k] = np.where(better, at, col_at[k])
        cos_diff = diff / scale
        zero += int((cos_diff == 0).sum())
        _, exponent = np.frexp(cos_diff[cos_diff > 0])
        hist += np.bincount(np.clip(exponent - 1 - LOG2_MIN, 0, LOG2_BINS - 1), minlength=LOG2_BINS)
        first = -(-start * n // stride) * stride
        idx = np.arange(first, stop * n, stride) - start * n
        for k, m in (("ref", ref), ("snapped", snapped), ("raw", raw)):
            samples[k].append(m.reshape(-1)[idx])
    s = {k: np.concatenate(v) for k, v in samples.items()}
    cos_diffs = np.abs(s["raw"] - s["ref"]) / scale
    return {
        "pairs": pairs, "spearmanPairs": len(s["ref"]),
        "argmaxImageToText": rows_agree["snapped"] / n,
        "argmaxTextToImage": float((col_at["ref"] == col_at["snapped"]).mean()),
        "spearman": spearman(s["ref"], s["snapped"]),
        "raw": {"argmaxImageToText": rows_agree["raw"] / n,
                "argmaxTextToImage": float((col_at["ref"] == col_at["raw"]).mean()),
                "spearman": spearman(s["ref"], s["raw"])},
        "maxLogitDiff": max_diff, "maxCosSimDiff": max_diff / scale,
        "cosSimDiffQuantiles": [{"q": q, "value": float(v)}
                                for q, v in zip(DIFF_QUANTILES, np.quantile(cos_diffs, DIFF_QUANTILES))],
        "cosSimDiffHistogram": {"log2Min": LOG2_MIN, "counts": hist.tolist(), "zero": zero, "nonFinite": 0},
    }


def metrics(ref_path, cand_path, set_name, out_path, tie, max_pairs, block_elements):
    t0 = time.perf_counter()
    ref = load_file(ref_path)
    cand = load_file(cand_path)
    ri, rt = ref["cpu_fp32.image_embeds"], ref["cpu_fp32.text_embeds"]
    ci, ct = cand[f"{set_name}.image_embeds"], cand[f"{set_name}.text_embeds"]
    scale = math.exp(float(ref["logit_scale"]))
    bias = float(ref["logit_bias"]) if "logit_bias" in ref else 0.0
    towers = {"image": tower_metrics(ri, ci), "text": tower_metrics(rt, ct)}
    sim = similarity(ri, rt, ci, ct, scale, bias, tie, max_pairs, block_elements)
    seconds = time.perf_counter() - t0
    out = {"seconds": seconds, "similarity": sim,
           "towers": {k: {m: v for m, v in t.items() if m not in ("cosine", "relL2")} for k, t in towers.items()},
           "samples": {k: {"cosine": t["cosine"][:64].tolist(), "relL2": t["relL2"][:64].tolist()}
                       for k, t in towers.items()}}
    with open(out_path, "w") as f:
        json.dump(out, f)
    print(f"numpy: {seconds:.1f} s")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "make":
        make(args[0], int(args[1]), int(args[2]), int(args[3]), float(args[4]))
    elif cmd == "metrics":
        metrics(args[0], args[1], args[2], args[3], float(args[4]), int(args[5]), int(args[6]))
    else:
        sys.exit(f"unknown command {cmd}; see the docstring")
