"""``POST /api/demo/book``: public, rate-limited per IP and per email."""

from __future__ import annotations

from fastapi import APIRouter, status

from pitchlab.demo import service
from pitchlab.demo.schemas import DemoBookingIn, DemoBookingOut
from pitchlab.deps import AppDatabase, AppLimiter, AppProviders, AppSettings, ClientIp
from pitchlab.http.errors import error_responses
from pitchlab.kit.errors import RateLimited

router = APIRouter(prefix="/api/demo", tags=["demo"])


@router.post(
    "/book",
    status_code=status.HTTP_201_CREATED,
    response_model=DemoBookingOut,
    summary="Ask for a demo at a time",
    description="The request is stored, then booked with Calendly. `booked`: it is in the "
    "calendar. `pending`: Calendly could not book it now (it is retried) or the time was taken "
    "(`booking_url` lets you pick another); the sales team is told either way.",
    responses=error_responses(422, RateLimited, 503),
)
async def book_demo(
    body: DemoBookingIn, database: AppDatabase, settings: AppSettings, providers: AppProviders,
    limiter: AppLimiter, ip: ClientIp,
) -> DemoBookingOut:
    await service.count_attempt(limiter, ip=ip, email=str(body.email))
    result = await service.request_demo(database, settings, providers.scheduling, body)
    return DemoBookingOut(id=result.id, status=result.status, booking_url=result.booking_url)
