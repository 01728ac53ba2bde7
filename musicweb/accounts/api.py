"""One's own API token in the API: see whether one exists (and since when), or revoke it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from musicweb.rest import ApiMixin


class TokenInfoSerializer(serializers.Serializer):
    prefix = serializers.CharField(help_text="The first four characters of the key.")
    created = serializers.DateTimeField()


class MyTokenView(ApiMixin, generics.GenericAPIView):
    """Your API token: GET says whether you have one (never the whole key), DELETE revokes it.

    A password change or reset revokes it too; POST /api/token/ makes a new one.
    """

    serializer_class = TokenInfoSerializer
    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenInfoSerializer})
    def get(self, request):
        token = Token.objects.filter(user=request.user).first()
        if token is None:
            raise NotFound("You have no API token.")
        return Response(
            TokenInfoSerializer({"prefix": token.key[:4], "created": token.created}).data
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        request.user.revoke_api_tokens()
        return Response(status=status.HTTP_204_NO_CONTENT)
