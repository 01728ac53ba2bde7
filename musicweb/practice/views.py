"""Practice pages: ask for a piece, play it with its score, download, publish, delete."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from musicweb.files import StorageFull, serve
from musicweb.practice.forms import PracticeForm
from musicweb.practice.models import FILES, PracticePiece


def get_piece_for_user(user, uid, *, own: bool = False) -> PracticePiece:
    """The piece if the user may see it (own=True: may change it), else 404, never 403."""
    pieces = PracticePiece.objects.owned_by(user) if own else PracticePiece.objects.visible_to(user)
    try:
        return pieces.get(uid=uid)
    except (PracticePiece.DoesNotExist, ValueError):
        raise Http404("No such practice piece.") from None


def make_from_form(user, form: PracticeForm) -> PracticePiece:
    data = form.cleaned_data
    return PracticePiece.make(
        user, instrument=data["instrument"], style=data["style"], level=data["level"],
        bars=data["bars"], seed=data["seed"], title=data["title"],
    )  # fmt: skip


@login_required
@require_http_methods(["GET", "POST"])
def practice(request):
    """The request form and one's own pieces; a valid POST writes a piece (about 3 s)."""
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            piece = make_from_form(request.user, form)
        except StorageFull as exc:
            messages.error(request, str(exc))
        else:
            return redirect(piece)
    pieces = Paginator(PracticePiece.objects.owned_by(request.user), 24)
    return render(
        request,
        "practice/practice.html",
        {"form": form, "page": pieces.get_page(request.GET.get("page"))},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@require_GET
def published(request):
    page = Paginator(PracticePiece.objects.published().select_related("owner"), 24)
    return render(
        request, "practice/published.html", {"page": page.get_page(request.GET.get("page"))}
    )


@require_GET
def detail(request, uid):
    piece = get_piece_for_user(request.user, uid)
    return render(
        request,
        "practice/detail.html",
        {"piece": piece, "mine": piece.owner_id == request.user.id, "files": FILES},
    )


@require_GET
def piece_file(request, uid, kind: str):
    piece = get_piece_for_user(request.user, uid)
    if kind == "timemap":
        from django.http import JsonResponse

        return JsonResponse({"bpm": piece.bpm, "bars": piece.bars, "timemap": piece.timemap})
    try:
        field, content_type, suffix = FILES[kind]
    except KeyError:
        raise Http404("No such file.") from None
    name = f"{piece.title}.{suffix}" if request.GET.get("download") else None
    return serve(request, getattr(piece, field), content_type, download_name=name)


@login_required
@require_POST
def publish(request, uid):
    piece = get_piece_for_user(request.user, uid, own=True)
    if request.POST.get("publish") == "0":
        piece.unpublish()
        messages.success(request, "The piece is private again.")
    else:
        piece.publish()
        messages.success(request, "Published: anyone can now play and download this piece.")
    return redirect(piece)


@login_required
@require_POST
def delete(request, uid):
    piece = get_piece_for_user(request.user, uid, own=True)
    piece.delete()
    messages.success(request, f"Deleted “{piece.title}”.")
    return redirect("practice:practice")
