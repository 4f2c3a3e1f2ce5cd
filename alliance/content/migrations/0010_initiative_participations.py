"""Participating organizations of initiatives, with a role, an order and an optional member.

The members linked to initiatives so far become participations with the role
"member". The organization's name is copied from a member that is published
now; an unpublished member's name is not copied, since the participation's
own name is shown in public.
"""

import django.db.models.deletion
from django.db import migrations, models


def copy_participants(apps, schema_editor):
    Initiative = apps.get_model("alliance", "Initiative")
    Participation = apps.get_model("alliance", "Participation")
    links = Initiative.participants.through.objects.select_related("member")
    rows = []
    for order, link in enumerate(links.order_by("initiative_id", "member__name_en")):
        member = link.member
        public = member.status == "published"
        rows.append(
            Participation(
                initiative_id=link.initiative_id,
                member_id=link.member_id,
                role="member",
                order=order,
                organization=member.name_en if public else "",
                organization_en=member.name_en if public else "",
                organization_zh_hans=member.name_zh_hans if public else None,
            )
        )
    Participation.objects.bulk_create(rows)


def sync_roles(apps, schema_editor):
    from alliance.kernel.roles import sync_roles

    # Editors maintain the participations in the initiative's admin page.
    sync_roles(apps)


def copy_back(apps, schema_editor):
    Initiative = apps.get_model("alliance", "Initiative")
    Participation = apps.get_model("alliance", "Participation")
    Link = Initiative.participants.through
    Link.objects.bulk_create(
        Link(initiative_id=p.initiative_id, member_id=p.member_id)
        for p in Participation.objects.filter(member__isnull=False)
    )


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('contenttypes', '0002_remove_content_type_name'),
        ('alliance', '0009_drop_trigram_indexes'),
        ('members', '0007_drop_trigram_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='Participation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('organization', models.CharField(help_text="The organization's name as shown on the initiative's page. Where it is a published member, its member profile's name and link are shown instead.", max_length=250, verbose_name='organization')),
                ('organization_en', models.CharField(help_text="The organization's name as shown on the initiative's page. Where it is a published member, its member profile's name and link are shown instead.", max_length=250, null=True, verbose_name='organization')),
                ('organization_zh_hans', models.CharField(help_text="The organization's name as shown on the initiative's page. Where it is a published member, its member profile's name and link are shown instead.", max_length=250, null=True, verbose_name='organization')),
                ('role', models.CharField(choices=[('lead', 'Lead'), ('investor', 'Investor'), ('member', 'Member')], default='member', max_length=20, verbose_name='role')),
                ('is_example', models.BooleanField(default=False, help_text='A placeholder for an organization whose name is not known yet; shown with a note that it is an example.', verbose_name='example name')),
                ('order', models.PositiveSmallIntegerField(default=0, verbose_name='order')),
                ('initiative', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='participations', to='alliance.initiative', verbose_name='initiative')),
                ('member', models.ForeignKey(blank=True, help_text='When the organization is a member of the alliance.', null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='initiative_participations', to='members.member', verbose_name='member record')),
            ],
            options={
                'verbose_name': 'participating organization',
                'verbose_name_plural': 'participating organizations',
                'ordering': ['initiative', 'order', 'pk'],
            },
        ),
        migrations.RunPython(copy_participants, copy_back, elidable=True),
        # A many-to-many relation cannot be given a link model in place: the
        # old link table goes, and the relation returns through Participation.
        migrations.RemoveField(model_name='initiative', name='participants'),
        migrations.AddField(
            model_name='initiative',
            name='participants',
            field=models.ManyToManyField(blank=True, related_name='initiatives', through='alliance.Participation', to='members.member', verbose_name='participating members'),
        ),
        migrations.AddConstraint(
            model_name='participation',
            constraint=models.UniqueConstraint(condition=models.Q(('member__isnull', False)), fields=('initiative', 'member'), name='initiative_member_once'),
        ),
        migrations.RunPython(sync_roles, migrations.RunPython.noop),
    ]
