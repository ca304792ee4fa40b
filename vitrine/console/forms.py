"""The console's forms: labels and help in the page's language. What is sent is checked by the REST API's own
serializers (see ``views._validated``) and the services behind them, so both follow the same rules."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from vitrine.platform import retention
from vitrine.platform.roles import Role


class ConsoleForm(forms.Form):
    def errors_text(self) -> str:
        parts = []
        for name, errors in self.errors.items():
            label = self.fields[name].label if name in self.fields else ""
            parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
        return "; ".join(parts)


class MarketForm(ConsoleForm):
    locale = forms.CharField(label=_("Language and region"), max_length=35,
                             help_text=_("A language tag, e.g. de-DE, fr-FR, zh-CN."))
    name = forms.CharField(label=_("Name"), max_length=100, required=False,
                           help_text=_("As you call the market, e.g. Germany."))


REVIEW_MODES = [
    ("review_all", _("Review everything before it is published")),
    ("auto_publish_pass", _("Publish at once what passes the fidelity check above a score")),
]


class PolicyForm(ConsoleForm):
    review_mode = forms.ChoiceField(label=_("Review policy"), choices=REVIEW_MODES, widget=forms.RadioSelect)
    auto_publish_min_score = forms.FloatField(
        label=_("Lowest score published without review"), min_value=0.0, max_value=1.0,
        help_text=_("Between 0 and 1; only used when passing variants are published at once."),
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    daily_variant_cap = forms.IntegerField(
        label=_("Most new variants per day"), min_value=0, max_value=100000,
        help_text=_("Protects your plan: anything above waits for the next day."),
    )


class GlossaryForm(ConsoleForm):
    source_text = forms.CharField(label=_("Phrase"), max_length=500)
    locale = forms.CharField(label=_("Language or market"), max_length=35,
                             help_text=_("de for every German market, de-AT for one."))
    translation = forms.CharField(label=_("Translation"), max_length=1000)


class GlossaryImportForm(ConsoleForm):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Columns: source_text, locale, translation (the export's format)."))


class InviteForm(ConsoleForm):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.REVIEWER)


class TokenForm(ConsoleForm):
    name = forms.CharField(label=_("Token name"), max_length=100, help_text=_("What it is for, e.g. ERP sync."))
    role = forms.ChoiceField(label=_("Role"), choices=[("", _("Same as mine")), *Role.choices], required=False)


class RetentionForm(ConsoleForm):
    on_uninstall = forms.ChoiceField(
        label=_("When the store uninstalls Vitrine"), widget=forms.RadioSelect,
        choices=[(retention.PURGE, _("Delete all of the shop's data at once")),
                 (retention.KEEP, _("Keep it for a reinstall, then delete it"))],
    )
    keep_days = forms.IntegerField(
        label=_("Days to keep it"), min_value=1, max_value=retention.MAX_KEEP_DAYS,
        help_text=_("Shopify asks for the data to be deleted 48 hours after an uninstall; that request is always "
                    "honoured."),
    )
