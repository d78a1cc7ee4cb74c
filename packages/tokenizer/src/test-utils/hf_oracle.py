# Oracle for HfTokenizer parity, run once per test file in the oracle venv (real tokenizers, transformers,
# open_clip). The Hub is out of reach, so it trains small tokenizers of the kinds open_clip configs name
# (SigLIP's T5 Unigram, BERT WordPiece, RoBERTa/XLM byte-level BPE, SigLIP2's Gemma byte-fallback BPE),
# saves them as transformers does, and records what open_clip's HFTokenizer and get_tokenizer make of them.
# Usage: python hf_oracle.py IN.json OUT.json WORKDIR
import json
import os
import sys

from open_clip import get_tokenizer
from open_clip.tokenizer import HFTokenizer
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

req = json.load(open(sys.argv[1], encoding='utf-8'))
work = sys.argv[3]
corpus = req['corpus']


def save(name, tok, **config):
    d = os.path.join(work, name)
    PreTrainedTokenizerFast(tokenizer_object=tok, **config).save_pretrained(d)
    return d


def siglip_unigram():
    # T5/SigLIP: sentencepiece Unigram behind Metaspace, NFKC-style normalizing, '</s>' appended, pad id 0.
    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Replace(Regex(' {2,}'), ' ')])
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement='▁', prepend_scheme='always')
    tok.decoder = decoders.Metaspace(replacement='▁', prepend_scheme='always')
    tok.train_from_iterator(corpus, trainers.UnigramTrainer(
        vocab_size=1500, special_tokens=['<pad>', '</s>', '<unk>'], unk_token='<unk>', max_piece_length=12))
    tok.post_processor = processors.TemplateProcessing(single='$A </s>', pair='$A </s> $B </s>', special_tokens=[('</s>', 1)])
    return save('siglip-unigram', tok, model_max_length=64, pad_token='<pad>', eos_token='</s>', unk_token='<unk>')


def bert_wordpiece():
    # bert-base-uncased (CLIPA, some CoCa/MT configs): lowercasing BertNormalizer, [CLS] $A [SEP].
    tok = Tokenizer(models.WordPiece(unk_token='[UNK]', max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None, lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece(prefix='##')
    special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']
    tok.train_from_iterator(corpus, trainers.WordPieceTrainer(vocab_size=2000, special_tokens=special))
    tok.post_processor = processors.TemplateProcessing(
        single='[CLS] $A [SEP]', pair='[CLS] $A [SEP] $B:1 [SEP]:1', special_tokens=[('[CLS]', 2), ('[SEP]', 3)])
    return save('bert-wordpiece', tok, model_max_length=512, pad_token='[PAD]', unk_token='[UNK]', cls_token='[CLS]',
                sep_token='[SEP]', mask_token='[MASK]')


def roberta_bpe():
    # roberta-base / XLM-style: GPT-2 byte-level BPE, <s> $A </s>, pad id 1, an lstrip <mask>; left sides here
    # to prove truncation_side/padding_side from tokenizer_config.json.
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(corpus, trainers.BpeTrainer(
        vocab_size=2000, special_tokens=['<s>', '<pad>', '</s>', '<unk>'], initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.add_special_tokens([AddedToken('<mask>', lstrip=True, special=True)])
    tok.post_processor = processors.RobertaProcessing(('</s>', 2), ('<s>', 0), trim_offsets=True, add_prefix_space=False)
    return save('roberta-bpe', tok, model_max_length=512, bos_token='<s>', eos_token='</s>', sep_token='</s>', cls_token='<s>',
                pad_token='<pad>', unk_token='<unk>', mask_token='<mask>', padding_side='left', truncation_side='left')


def gemma_bpe():
    # SigLIP2's Gemma: BPE over the whole text with spaces as '▁', unknown characters as <0xXX> byte tokens, <bos> first.
    tok = Tokenizer(models.BPE(unk_token='<unk>', fuse_unk=True))
    tok.normalizer = normalizers.Replace(' ', '▁')
    tok.train_from_iterator(corpus, trainers.BpeTrainer(vocab_size=1500, special_tokens=['<pad>', '<eos>', '<bos>', '<unk>']))
    spec = json.loads(tok.to_str())
    # Byte tokens go right after the specials, as in Gemma's vocab; merges name tokens, so ids may shift.
    trained = sorted(spec['model']['vocab'].items(), key=lambda kv: kv[1])
    vocab = {t: i for t, i in trained if i < 4}
    vocab.update({f'<0x{b:02X}>': 4 + b for b in range(256)})
    vocab.update({t: i + 256 for t, i in trained if i >= 4})
    spec['model'].update(vocab=vocab, byte_fallback=True)
    spec['decoder'] = {'type': 'Sequence', 'decoders': [
        {'type': 'Replace', 'pattern': {'String': '▁'}, 'content': ' '}, {'type': 'ByteFallback'}, {'type': 'Fuse'}]}
    tok = Tokenizer.from_str(json.dumps(spec))
    tok.post_processor = processors.TemplateProcessing(single='<bos> $A', pair='<bos> $A <bos> $B', special_tokens=[('<bos>', 2)])
    return save('gemma-bpe', tok, model_max_length=8192, pad_token='<pad>', eos_token='<eos>', bos_token='<bos>', unk_token='<unk>')


builders = {'siglip-unigram': siglip_unigram, 'bert-wordpiece': bert_wordpiece, 'roberta-bpe': roberta_bpe, 'gemma-bpe': gemma_bpe}
dirs = {name: build() for name, build in builders.items()}
texts = req['texts']
out = {'dirs': dirs, 'runs': [], 'models': []}
for run in req['runs']:
    tok = HFTokenizer(dirs[run['tokenizer']], context_length=run['contextLength'], clean=run['clean'],
                      strip_sep_token=run['stripSepToken'])
    ours = req['cleaned'][run['clean']]  # cliphub's cleaning of each text in this mode
    differ = [i for i, t in enumerate(texts) if tok.clean_fn(t) != ours[i]]
    ids = tok(texts).tolist()
    # Where the cleaning differs (ftfy heuristics), also tokenize cliphub's cleaned text through the same
    # open_clip call with cleaning off: equal ids then prove the tokenizer itself agrees.
    tok.clean_fn = lambda t: t
    out['runs'].append({
        'ids': ids,
        'cleanDiffers': {str(i): row for i, row in zip(differ, tok([ours[i] for i in differ]).tolist())} if differ else {},
    })

# get_tokenizer('local-dir:...') reads open_clip_config.json's text_cfg, as a downloaded model dir has it.
for m in req['models']:
    d = dirs[m['tokenizer']]
    json.dump({'model_cfg': {'text_cfg': m['textCfg']}}, open(os.path.join(d, 'open_clip_config.json'), 'w'))
    tok = get_tokenizer(f'local-dir:{d}', **({'context_length': m['contextLength']} if m.get('contextLength') else {}))
    out['models'].append({
        'class': type(tok).__name__, 'contextLength': tok.context_length, 'stripSepToken': tok.strip_sep_token,
        'ids': tok(m['texts']).tolist(),
    })
json.dump(out, open(sys.argv[2], 'w'))
