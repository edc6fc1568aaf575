"""Korean NLU pipeline components for Rasa 3.6: the KoNLPy tokenizer, the spaCy rule entity extractor.

Also the entity-value normalisers (regions, industries, Korean numbers and money, ages, program aliases).
"""
