"""open_clip's HFTokenizer on a local tokenizer folder: the ground truth for the transformers.js tokenizer tests.

argv[1]: a JSON file {"dir", "texts", "context_length", "clean"}; prints {"ids": [[...]]}.
"""
import json
import sys

from open_clip.tokenizer import HFTokenizer

job = json.load(open(sys.argv[1]))
tokenizer = HFTokenizer(job["dir"], context_length=job["context_length"], clean=job["clean"])
print(json.dumps({"ids": tokenizer(job["texts"]).tolist()}))
