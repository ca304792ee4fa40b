"""JSON-strict serializer fields: a value of the wrong JSON type is refused, not converted.

DRF's fields coerce ("5" becomes 5, 0 becomes False, 5 becomes "5"), which accepts requests the OpenAPI
document says are invalid; the API answers exactly what it documents.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class CharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class RegexField(serializers.RegexField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class SlugField(serializers.SlugField):
    default_error_messages = {"not_a_string": "Not a valid string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class EmailField(serializers.EmailField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class IntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int | float) or (
                isinstance(data, float) and not data.is_integer()):
            self.fail("invalid")
        return super().to_internal_value(data)


class FloatField(serializers.FloatField):
    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            self.fail("invalid")
        return super().to_internal_value(data)


class BooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class ChoiceField(serializers.ChoiceField):
    default_error_messages = {"not_a_string": "Not a valid string."}

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer):
    """Model fields become the strict fields above."""

    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        **{model_field: strict for model_field, strict in (
            (serializers.models.CharField, CharField),
            (serializers.models.TextField, CharField),
            (serializers.models.SlugField, SlugField),
            (serializers.models.BooleanField, BooleanField),
            (serializers.models.IntegerField, IntegerField),
            (serializers.models.PositiveIntegerField, IntegerField),
            (serializers.models.FloatField, FloatField),
        )},
    }
    serializer_choice_field = ChoiceField
