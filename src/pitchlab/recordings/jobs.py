"""Recording jobs: hear an upload (retried while the speech-to-text vendor is unavailable,
then failed with a reason), delete an erased account's files, and the retention sweep."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import procrastinate

from pitchlab.jobs.queue import job, resources
from pitchlab.kit.events import subscriber
from pitchlab.recordings import service
from pitchlab.recordings.events import RecordingUploaded
from pitchlab.users.events import UserDeleted

log = logging.getLogger(__name__)

PROCESS_JOB = "process_recording"
ERASE_JOB = "delete_recordings_of_erased_user"
RETENTION_JOB = "purge_expired_recordings"
MAX_ATTEMPTS = 5


@subscriber(RecordingUploaded, name=PROCESS_JOB, queue="recordings",
            retry=procrastinate.RetryStrategy(max_attempts=MAX_ATTEMPTS, exponential_wait=5))
async def process_recording(context: procrastinate.JobContext, event: RecordingUploaded) -> None:
    deps = resources(context)
    try:
        await service.process(deps.database, deps.settings, deps.providers.files,
                              deps.providers.transcriber, event.recording_id)
    except Exception:
        attempt = (context.job.attempts or 0) + 1
        if attempt < MAX_ATTEMPTS:
            raise  # the vendor may answer next time (its retryable errors land here)
        log.exception("recording %s could not be heard", event.recording_id)
        await service.mark_failed(deps.database, event.recording_id,
                                  f"Transcription failed after {MAX_ATTEMPTS} attempts; "
                                  "upload it again later.")


@subscriber(UserDeleted, name=ERASE_JOB, queue="recordings",
            retry=procrastinate.RetryStrategy(max_attempts=10, exponential_wait=5))
async def delete_recordings_of_erased_user(context: procrastinate.JobContext,
                                           event: UserDeleted) -> None:
    """The account's rows went with its erasure; its files go here."""
    await service.delete_files_of_user(resources(context).providers.files, event.company_id,
                                       event.user_id)


@job(RETENTION_JOB, queue="sweeps", periodic_cron="41 * * * *")
async def purge_expired_recordings(context: procrastinate.JobContext, timestamp: int) -> None:
    """Hourly: recordings older than their company keeps calls are deleted, files and all."""
    deps = resources(context)
    purged = await service.purge_expired(deps.database, deps.providers.files,
                                         deps.settings.retention_days,
                                         datetime.fromtimestamp(timestamp, UTC))
    if purged:
        log.info("retention: deleted %d recordings", purged)
