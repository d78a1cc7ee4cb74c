"""Tiny real Hugging Face tokenizers for the transformers.js tokenizer tests, saved with save_pretrained.

argv[1]: output folder. Writes <out>/<name>/{tokenizer.json, tokenizer_config.json, special_tokens_map.json} for
  wordpiece: a BERT-like uncased WordPiece ([CLS] ... [SEP], pad [PAD]=0), like bert-base-uncased (CLIPA)
  unigram-t5: a T5-like Unigram (Metaspace, '... </s>', pad <pad>=0, eos </s>=1), like SigLIP's
  unigram-xlmr: an XLM-R-like Unigram ('<s> ... </s>', pad <pad>=1, eos </s>=2), like xlm-roberta / xlm-v
  bpe-gemma: a Gemma-like byte-fallback BPE (spaces as '▁', '<bos>'-less, '... <eos>', pad <pad>=0), like SigLIP2's
Trained on a fixed small corpus, so the output is the same on every run.
"""
import os
import sys

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizerFast, PreTrainedTokenizerFast

CORPUS = [
    "a photo of the dog", "a photo of a cat", "the red car on the street at night", "a beautiful sunset over the ocean",
    "an astronaut riding a horse on the moon", "a diagram of a city", "pizza and coffee on a table",
    "portrait of a man", "mountain river in the forest", "Café naïve résumé Zürich Straße jalapeño",
    "running jumping painting", "small large house tree sky", "state of the art e-mail",
    "don't it's we're they've I'm you'll he'd can't", "numbers 0 1 2 3 4 5 6 7 8 9 10 100 2024",
    "Ein Hund läuft über die Straße", "un chat sur la table", "el perro corre en el parque",
] * 20

out = sys.argv[1]


def save(name, tok):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    tok.save_pretrained(d)


# BERT-like uncased WordPiece
wp = Tokenizer(models.WordPiece(unk_token="[UNK]"))
wp.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
wp.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
wp.decoder = decoders.WordPiece()
wp.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=400, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]))
wp.post_processor = processors.TemplateProcessing(
    single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]",
    special_tokens=[("[CLS]", wp.token_to_id("[CLS]")), ("[SEP]", wp.token_to_id("[SEP]"))])
save("wordpiece", BertTokenizerFast(tokenizer_object=wp, do_lower_case=True))


def unigram(specials, template, eos):
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(" {2,}", " ")])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    tok.train_from_iterator(CORPUS, trainers.UnigramTrainer(vocab_size=300, special_tokens=specials, unk_token=specials[2] if specials[0] == "<pad>" else "<unk>"))
    tok.post_processor = processors.TemplateProcessing(
        single=template, special_tokens=[(t, tok.token_to_id(t)) for t in specials if t in template])
    return tok


t5 = unigram(["<pad>", "</s>", "<unk>"], "$A </s>", "</s>")
save("unigram-t5", PreTrainedTokenizerFast(tokenizer_object=t5, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", tokenizer_class="T5Tokenizer"))
xlmr = unigram(["<s>", "<pad>", "</s>", "<unk>"], "<s> $A </s>", "</s>")
save("unigram-xlmr", PreTrainedTokenizerFast(tokenizer_object=xlmr, bos_token="<s>", pad_token="<pad>", eos_token="</s>", unk_token="<unk>", tokenizer_class="XLMRobertaTokenizer"))

gm = Tokenizer(models.BPE(unk_token="<unk>", byte_fallback=True, fuse_unk=True))
gm.normalizer = normalizers.Replace(" ", "▁")
gm.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse()])
bytes_ = [f"<0x{b:02X}>" for b in range(256)]
gm.train_from_iterator(CORPUS, trainers.BpeTrainer(vocab_size=600, special_tokens=["<pad>", "<eos>", "<bos>", "<unk>", *bytes_]))
gm.post_processor = processors.TemplateProcessing(single="$A <eos>", special_tokens=[("<eos>", gm.token_to_id("<eos>"))])
save("bpe-gemma", PreTrainedTokenizerFast(tokenizer_object=gm, pad_token="<pad>", eos_token="<eos>", bos_token="<bos>", unk_token="<unk>", tokenizer_class="GemmaTokenizer"))

# save_pretrained names the generic class; real Hub folders name the model's own, which both libraries dispatch on
import json
for name, cls in [("unigram-t5", "T5Tokenizer"), ("unigram-xlmr", "XLMRobertaTokenizer"), ("bpe-gemma", "GemmaTokenizer")]:
    p = os.path.join(out, name, "tokenizer_config.json")
    cfg = json.load(open(p))
    cfg["tokenizer_class"] = cls
    # as open_clip's SigLipTokenizer saved SigLIP2's Gemma tokenizer (GemmaTokenizer pads left by default)
    cfg["padding_side"] = "right"
    json.dump(cfg, open(p, "w"), indent=2)
print("null")  # the caller reads the last line as JSON
