"""Tests of the Korean NLU: tokenizer offsets, entity normalisers, the entity extractor and the training data.

Fast by design: nothing here trains a full model (bot/eval_nlu.py does that).
"""
