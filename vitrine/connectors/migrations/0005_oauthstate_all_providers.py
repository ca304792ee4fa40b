"""One ``OAuthState`` for every store.

The Shopify states table becomes the shared one (its rows keep ``provider='shopify'``); the live Taobao
states are copied into it with ``provider='taobao'`` and their own ``created_at`` (so a copied state expires
when it would have), then the Taobao table is dropped. The copy is one ``INSERT ... SELECT``: states live an
hour, so the table is small. Reversing copies the Taobao rows back before the shared table loses its
``provider`` and ``user`` columns.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

COPY_TAOBAO_STATES = """
    INSERT INTO connectors_oauthstate (provider, nonce, shop_domain, user_id, created_at, used_at)
    SELECT 'taobao', nonce, '', user_id, created_at, used_at FROM connectors_taobaooauthstate
"""
RESTORE_TAOBAO_STATES = [
    """
    INSERT INTO connectors_taobaooauthstate (nonce, user_id, created_at, used_at)
    SELECT nonce, user_id, created_at, used_at FROM connectors_oauthstate
    WHERE provider = 'taobao' AND user_id IS NOT NULL
    """,
    "DELETE FROM connectors_oauthstate WHERE provider <> 'shopify'",
]


class Migration(migrations.Migration):

    dependencies = [
        ('connectors', '0004_syncrun_moves_to_platform'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='oauthstate',
            name='provider',
            field=models.CharField(choices=[('shopify', 'Shopify'), ('taobao', 'Taobao / Tmall'), ('csvfile', 'CSV / folder')], default='shopify', max_length=16),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name='oauthstate',
            name='user',
            field=models.ForeignKey(blank=True, help_text='The user who started the flow, if bound to one.', null=True, on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='oauthstate',
            name='shop_domain',
            field=models.CharField(blank=True, help_text='The shop the install is for, if known.', max_length=255),
        ),
        migrations.AlterField(
            model_name='oauthstate',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, db_index=True),
        ),
        migrations.RunSQL(COPY_TAOBAO_STATES, RESTORE_TAOBAO_STATES),
        migrations.DeleteModel(
            name='TaobaoOAuthState',
        ),
    ]
