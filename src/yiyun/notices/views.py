from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from yiyun.notices.models import InboxMessage
from yiyun.notices.services import inbox_mark_read
from yiyun.tenancy.selectors import person_of


def _own_inbox(request):
    # The inbox is personal: only messages addressed to the signed-in person.
    return InboxMessage.objects.filter(recipient=person_of(request.user))


@login_required
def inbox(request):
    return render(request, "notices/inbox.html", {"messages_in": _own_inbox(request)[:200]})


@login_required
def inbox_message(request, pk: int):
    message = inbox_mark_read(message=get_object_or_404(_own_inbox(request), pk=pk))
    return render(request, "notices/inbox_message.html", {"message": message})
