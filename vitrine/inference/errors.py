"""Why an edit could not be made, in words a merchant can act on.

Three families, because each calls for a different reaction:

* :class:`BadInput` -- the photo, mask or template parameters cannot produce a faithful variant.
  Retrying gives the same answer; the variant fails with the message.
* :class:`ConfigurationError` -- the operator has to change a setting (no model configured, a model
  that may not be used commercially). Retrying does not help either.
* :class:`TransientInferenceError` -- the worker ran out of memory, a model folder was briefly
  unreadable: the same job may succeed later, so the task retries it.
"""

from __future__ import annotations


class InferenceError(Exception):
    """Base of every engine error. ``str(error)`` is the merchant-readable message."""

    retryable: bool = False
    # Non-empty: the work lacks this resource (e.g. "a diffusion model") and waits for it instead of failing.
    waits_for: str = ""

    @property
    def merchant_message(self) -> str:
        return str(self)


class BadInput(InferenceError):
    retryable = False


class NoProductFound(BadInput):
    pass


class NoPersonFound(BadInput):
    pass


class LowConfidenceMask(BadInput):
    pass


class InvalidMask(BadInput):
    """The mask is empty, covers everything, or does not match the image."""


class UnsupportedParameter(BadInput):
    pass


class UnknownRecipe(BadInput):
    pass


class NoTextFound(BadInput):
    pass


class MissingTranslation(BadInput):
    pass


class TextDoesNotFit(BadInput):
    pass


class TextReadBackFailed(BadInput):
    pass


class ImageTooSmall(BadInput):
    pass


class ColourOutOfReach(BadInput):
    """A colourway could not bring the product's dominant colour close enough to the target."""


class OverlayRemovalFailed(BadInput):
    """Promotional text was still read in the cleaned photo."""


class RenderTimedOut(InferenceError):
    """The generative step ran past its time limit; the same job would again."""

    retryable = False


class ConfigurationError(InferenceError):
    retryable = False


class ModelNotConfigured(ConfigurationError):
    waits_for = "a diffusion model"


class UnknownModel(ConfigurationError):
    pass


class NonCommercialModelRefused(ConfigurationError):
    pass


class TransientInferenceError(InferenceError):
    retryable = True
