"""Korean NLU pipeline components for Rasa 3.6: the KoNLPy tokenizer, the spaCy rule entity extractor.

Entity values are normalised by knowledge_base.profile_values (Korean numbers, money, ages, revenue change), the
company profile's one owner; regions, industries and program aliases are in nlu/gazetteer.py.
"""
