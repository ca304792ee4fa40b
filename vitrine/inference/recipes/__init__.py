"""Edit recipes: ``background``, ``model_swap`` and ``text_localize``."""
