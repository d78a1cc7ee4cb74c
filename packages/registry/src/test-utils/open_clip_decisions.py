"""For each ARCH:TAG (or local-dir:PATH) on argv, what open_clip 3.3.0's create_model does with it, without weights.

create_model runs for real; only I/O and heavy work are swapped out: download_pretrained returns no
file, the model class records its kwargs and builds just the towers on the meta device (so the final
preprocess size comes from the real visual tower), and device placement is skipped.
Printed: one JSON object {pair: {...}}.
"""
import json
import sys
import warnings

import torch
import open_clip
from open_clip import factory
from open_clip.model import _build_vision_tower, _build_text_tower
from open_clip.transformer import QuickGELU


class Captured(Exception):
    pass


class FakeModel(torch.nn.Module):
    last = None

    def __init__(self, embed_dim, vision_cfg, text_cfg, quick_gelu=False, cast_dtype=None, **kwargs):
        super().__init__()
        FakeModel.last = {'quick_gelu': quick_gelu}
        with torch.device('meta'):
            self.visual = _build_vision_tower(embed_dim, vision_cfg, quick_gelu, cast_dtype)
            text_cfg = dict(text_cfg)
            self.text = None if text_cfg.get('hf_model_name') else _build_text_tower(embed_dim, text_cfg, quick_gelu, cast_dtype)


def act_names(tower):
    names = set()
    if tower is None:
        return None
    for m in tower.modules():
        if next(m.children(), None) is not None:
            continue
        if isinstance(m, QuickGELU):
            names.add('quick_gelu')
        elif isinstance(m, torch.nn.GELU):
            names.add('gelu_tanh' if m.approximate == 'tanh' else 'gelu')
        elif isinstance(m, torch.nn.ReLU):
            names.add('relu')
        elif isinstance(m, torch.nn.SiLU):
            names.add('silu')
        elif type(m).__name__ == 'GELUTanh':
            names.add('gelu_tanh')
        elif type(m).__name__ == 'GELU':  # timm.layers.GELU wraps F.gelu
            names.add('gelu_tanh' if getattr(m, 'approximate', 'none') == 'tanh' else 'gelu')
    return sorted(names)


def build(arch, tag, force):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model = factory.create_model(arch, pretrained=tag, force_quick_gelu=force)
    mismatch = any('QuickGELU mismatch' in str(w.message) for w in caught)
    pre = dict(model.visual.preprocess_cfg)
    pre = {k: (list(v) if isinstance(v, tuple) else v) for k, v in pre.items()}
    return model, FakeModel.last['quick_gelu'], mismatch, pre


factory.download_pretrained = lambda cfg, **kw: ''
factory.CLIP = factory.CustomTextCLIP = factory.CoCa = FakeModel
factory._set_model_device_and_precision = lambda *a, **k: None
factory.load_checkpoint = lambda *a, **k: {}

out = {}
for pair in sys.argv[1:]:
    if pair.startswith('local-dir:'):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            model = factory.create_model(pair)
        tok = open_clip.get_tokenizer(pair)
        out[pair] = {
            'model_cfg': open_clip.get_model_config(pair),
            'quick_gelu': FakeModel.last['quick_gelu'],
            'preprocess_cfg': {k: (list(v) if isinstance(v, tuple) else v) for k, v in model.visual.preprocess_cfg.items()},
            'vision_acts': act_names(model.visual),
            'text_acts': act_names(model.text),
            'tokenizer': {'class': type(tok).__name__, 'context_length': tok.context_length},
        }
        continue
    arch, tag = pair.split(':')
    pcfg = open_clip.get_pretrained_cfg(arch, tag)
    tag_qg = bool(pcfg.get('quick_gelu', False))
    model, plain_qg, plain_mismatch, plain_pre = build(arch, tag, False)
    forced_qg = plain_qg
    if tag_qg:  # forcing only changes anything when the tag asks for QuickGELU
        model, forced_qg, _, _ = build(arch, tag, True)
    out[pair] = {
        'model_cfg': open_clip.get_model_config(arch),
        'pretrained_cfg': {k: (list(v) if isinstance(v, tuple) else v) for k, v in pcfg.items()},
        'plain_quick_gelu': plain_qg,
        'plain_mismatch_warning': plain_mismatch,
        'forced_quick_gelu': forced_qg,
        'preprocess_cfg': plain_pre,
        'vision_acts': act_names(model.visual),
        'text_acts': act_names(model.text),
    }
print(json.dumps(out))
