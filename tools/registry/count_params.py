"""Counts the parameters of every open_clip 3.3.0 architecture with real open_clip, built on the meta device
(no memory, no download), and writes them as the oracle fixture of packages/registry/src/params.test.ts.

Hugging Face text towers are built from their public config.json values (/work/shared/upstream/
hf-text-configs.json) with transformers.AutoConfig.for_model, as open_clip builds them with pretrained_hf=False.

It first checks that open_clip's own profile table (model_profile.csv) agrees with these counts for every row
it has (mparams rounded to two decimals), so the fixture and upstream's table measure the same thing.

Usage: .oracle/venv/bin/python -W ignore tools/registry/count_params.py UPSTREAM_DIR HF_TEXT_CONFIGS OUT_JSON
Output: {"<arch>": {"total": n, "visual": n, "text": n}} (text: everything that is not model.visual).
"""
import csv
import json
import os
import sys

import torch
import transformers

import open_clip

upstream, hf_configs_path, out_path = sys.argv[1:4]
with open(hf_configs_path) as f:
    HF = {k: v for k, v in json.load(f).items() if not k.startswith('_')}

original_from_pretrained = transformers.AutoConfig.from_pretrained


def from_pretrained(name, *args, **kwargs):
    """The named tower's public config, built offline."""
    if name not in HF:
        return original_from_pretrained(name, *args, **kwargs)
    values = dict(HF[name])
    return transformers.AutoConfig.for_model(values.pop('model_type'), **values)


transformers.AutoConfig.from_pretrained = from_pretrained

counts = {}
config_dir = os.path.join(upstream, 'model_configs')
for file in sorted(os.listdir(config_dir)):
    arch = file[: -len('.json')]
    with open(os.path.join(config_dir, file)) as f:
        cfg = json.load(f)
    hf_text = bool(cfg.get('text_cfg', {}).get('hf_model_name'))
    # built under the meta device: no weights are allocated or initialised
    with torch.device('meta'):
        model = open_clip.create_model(
            arch, pretrained=None, device='meta', **({'pretrained_hf': False} if hf_text else {})
        )
    total = sum(p.numel() for p in model.parameters())
    visual = sum(p.numel() for p in model.visual.parameters())
    counts[arch] = {'total': total, 'visual': visual, 'text': total - visual}
    print(f'{arch}: {total}', file=sys.stderr)

mismatches = []
with open(os.path.join(upstream, 'model_profile.csv')) as f:
    for row in csv.DictReader(f):
        counted = counts.get(row['model'])
        if counted is None:
            mismatches.append(f"{row['model']}: in model_profile.csv but no config")
        elif round(counted['total'] / 1e6, 2) != float(row['mparams']):
            mismatches.append(f"{row['model']}: table {row['mparams']}, counted {counted['total'] / 1e6:.4f}")
if mismatches:
    sys.exit('model_profile.csv disagrees with the counted parameters:\n' + '\n'.join(mismatches))

with open(out_path, 'w') as f:
    json.dump(counts, f, indent=2, sort_keys=True)
    f.write('\n')
print(f'{len(counts)} architectures counted; model_profile.csv agrees on every row it has', file=sys.stderr)
