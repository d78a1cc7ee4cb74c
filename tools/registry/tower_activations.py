"""Derives the activation of every timm vision tower and Hugging Face text tower that open_clip 3.3.0's
configs name, and writes registry/towers.json.

open_clip ignores its quick_gelu flag for these towers (timm and transformers pick their own activation),
so cliphub cannot compute them from the config alone. timm towers are built exactly as open_clip builds
them (open_clip.model._build_vision_tower) on the meta device, so no weights are allocated or downloaded,
and the activation modules are read off the built tower.

Hugging Face text towers cannot be built offline (their config lives on the Hub), so their activation is a
small table of facts read from each repo's config.json; it is checked against transformers' config
classes when transformers is installed.

Usage: python tower_activations.py registry/architectures.json registry/towers.json
"""
import json
import sys

import torch
import timm
import open_clip
from open_clip.model import _build_vision_tower

# From each Hub repo's config.json: (model_type, the activation key and value there, cliphub's name for it).
# mt5's "gated-gelu" is transformers' "gelu_new", the tanh approximation of GELU.
HF_TOWERS = {
    'roberta-base': ('roberta', 'hidden_act=gelu', 'gelu'),
    'xlm-roberta-base': ('xlm-roberta', 'hidden_act=gelu', 'gelu'),
    'xlm-roberta-large': ('xlm-roberta', 'hidden_act=gelu', 'gelu'),
    'google/mt5-base': ('mt5', 'feed_forward_proj=gated-gelu', 'gelu_tanh'),
    'google/mt5-xl': ('mt5', 'feed_forward_proj=gated-gelu', 'gelu_tanh'),
    'facebook/nllb-200-distilled-600M': ('m2m_100', 'activation_function=relu', 'relu'),
    'facebook/nllb-200-distilled-1.3B': ('m2m_100', 'activation_function=relu', 'relu'),
}


def activation_name(module):
    """cliphub's name for an activation module, or None when the module is not an activation."""
    cls = type(module).__name__
    if isinstance(module, torch.nn.GELU):
        return 'gelu_tanh' if module.approximate == 'tanh' else 'gelu'
    if cls in ('GELUTanh',):
        return 'gelu_tanh'
    if cls in ('GELU',):  # timm.layers.GELU wraps F.gelu
        return 'gelu_tanh' if getattr(module, 'approximate', 'none') == 'tanh' else 'gelu'
    if cls in ('QuickGELU', 'QuickGELUTanh', 'GELUQuick'):
        return 'quick_gelu'
    if isinstance(module, (torch.nn.SiLU,)) or cls in ('Swish', 'SiLU'):
        return 'silu'
    if isinstance(module, (torch.nn.ReLU,)):
        return 'relu'
    if isinstance(module, (torch.nn.Hardswish,)) or cls in ('HardSwish',):
        return 'hard_swish'
    if isinstance(module, (torch.nn.Tanh, torch.nn.Sigmoid, torch.nn.Softmax, torch.nn.Identity)):
        return None
    if cls.lower().endswith(('gelu', 'relu', 'swish', 'silu', 'mish')):
        raise SystemExit(f'towers: unknown activation module {cls}; teach activation_name() about it')
    return None


def timm_tower(arch, cfg):
    with torch.device('meta'):
        tower = _build_vision_tower(cfg['embed_dim'], dict(cfg['vision_cfg']), quick_gelu=False)
    counts = {}
    for m in tower.modules():
        # Leaves only: containers such as timm's ConvNormAct hold an activation, they are not one.
        if next(m.children(), None) is not None:
            continue
        name = activation_name(m)
        if name:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        raise SystemExit(f'towers: found no activation module in the timm tower of {arch}')
    # The dominant activation is the one in the transformer / conv blocks; others (e.g. a stem) are listed too.
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {'activation': ordered[0][0], 'counts': dict(ordered)}


def check_hf(name, model_type, claim):
    try:
        import transformers  # noqa: F401
        from transformers import AutoConfig
    except ImportError:
        return 'not checked (transformers not installed)'
    try:
        cfg = AutoConfig.from_pretrained(name, local_files_only=True)
    except Exception:
        return 'not checked (config not in the local Hugging Face cache)'
    key, value = claim.split('=')
    got = getattr(cfg, key, None)
    if cfg.model_type != model_type or str(got) != value:
        raise SystemExit(f'towers: {name} config says model_type={cfg.model_type} {key}={got}, table says {model_type} {claim}')
    return 'checked against the cached Hub config'


def main(arch_file, out_file):
    archs = json.load(open(arch_file))['architectures']
    timm_towers = {}
    hf_towers = {}
    for arch, entry in archs.items():
        cfg = entry['config']
        name = cfg['vision_cfg'].get('timm_model_name')
        if name and name not in timm_towers:
            timm_towers[name] = timm_tower(arch, cfg)
        hf = cfg['text_cfg'].get('hf_model_name')
        if hf and hf not in hf_towers:
            if hf not in HF_TOWERS:
                raise SystemExit(f'towers: add {hf} (from {arch}) to HF_TOWERS with the activation its Hub config.json names')
            model_type, claim, act = HF_TOWERS[hf]
            hf_towers[hf] = {'modelType': model_type, 'activation': act, 'configKey': claim, 'check': check_hf(hf, model_type, claim)}
    doc = {
        'schemaVersion': 1,
        'source': {
            'timm': f'timm {timm.__version__} towers built by open_clip {open_clip.__version__} (meta device), activation modules counted',
            'hf': 'config.json of each Hugging Face repo (activation key noted per entry)',
        },
        'timm': dict(sorted(timm_towers.items())),
        'hf': dict(sorted(hf_towers.items())),
    }
    lines = [f'  {json.dumps(k)}: {json.dumps(v)}' for k, v in doc['timm'].items()]
    hf_lines = [f'  {json.dumps(k)}: {json.dumps(v)}' for k, v in doc['hf'].items()]
    with open(out_file, 'w') as f:
        head = json.dumps({'schemaVersion': 1, 'source': doc['source']}, indent=2)[:-2]
        f.write(head + ',\n "timm": {\n' + ',\n'.join(lines) + '\n },\n "hf": {\n' + ',\n'.join(hf_lines) + '\n }\n}\n')
    print(f'registry: wrote {out_file} ({len(timm_towers)} timm towers, {len(hf_towers)} HF towers)')


if __name__ == '__main__':
    main(sys.argv[1], sys.argv[2])
