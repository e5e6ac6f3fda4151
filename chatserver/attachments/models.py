"""Request and response models of the photo routes: schemas of ``/openapi.json``
(the handlers read the form and the query themselves, with the same limits)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AttachmentPath", "ContactPath", "ImageQuery", "UploadForm", "Uploaded"]

Id = Annotated[str, Field(min_length=1, max_length=64)]


class ContactPath(BaseModel):
    contact_id: Id


class AttachmentPath(BaseModel):
    attachment_id: Id


class ImageQuery(BaseModel):
    size: Literal["thumb", "full"] | None = Field(
        default=None, description="thumb: at most 320 px on the long side"
    )


class UploadForm(BaseModel):
    """``multipart/form-data``: the photo and the message's client id."""

    client_id: Annotated[str, Field(min_length=1, max_length=64)]
    file: bytes = Field(description="JPEG, PNG, WebP or HEIC; the type is read from the content")
    caption: Annotated[str, Field(max_length=4000)] | None = Field(
        default=None, description="text shown with the photo (the message body)"
    )


class _Out(BaseModel):
    model_config = ConfigDict(extra="allow")


class Attachment(_Out):
    id: str
    content_type: Literal["image/jpeg", "image/png"]
    width: int
    height: int
    bytes: int


class Uploaded(_Out):
    contact_id: str
    seq: int
    attachment: Attachment
    duplicate: Literal[True] | None = None
