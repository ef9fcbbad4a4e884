"""The public Atom feed of announcements (4.5's web announcement), one per provider."""

from django.contrib.syndication.views import Feed
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext as _

from yiyun.core import clock
from yiyun.notices import rendering, selectors


class AnnouncementFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request, provider=None):
        return provider

    def title(self, provider):
        if provider is None:
            return _("医云 · 公告")
        return _("%(provider)s · 公告") % {"provider": provider.name}

    def link(self, provider):
        path = reverse("notices:announcements")
        return f"{path}?provider={provider.pk}" if provider is not None else path

    def subtitle(self, provider):
        return _("维护通知与公告（网站公告即视为送达，合同第4.5条）")

    def items(self, provider):
        return selectors.public_announcements(provider=provider.pk if provider else None, limit=50)

    def item_title(self, notice):
        return f"【{notice.get_kind_display()}】{notice.subject}"

    def item_description(self, notice):
        return rendering.notice_text(notice)

    def item_link(self, notice):
        # Relative: the feed makes it absolute with the host the reader asked.
        path = reverse("notices:announcements")
        return f"{path}?provider={notice.organisation_id}#notice-{notice.pk}"

    def item_guid(self, notice):
        return f"tag:yiyun,{notice.published_at:%Y-%m-%d}:notice-{notice.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, notice):
        return clock.local(notice.published_at)

    def item_updateddate(self, notice):
        return clock.local(notice.published_at)

    def item_author_name(self, notice):
        return notice.organisation.name
