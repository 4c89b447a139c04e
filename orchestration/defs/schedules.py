"""The schedule `nightly_at_two` (02:00 Asia/Shanghai) starts the `nightly` job as of that
day; off until turned on in the UI (or `dagster-daemon`)."""

import dagster as dg

from cdp.settings import LOCAL_TIME_ZONE
from orchestration.defs import jobs
from orchestration.defs.resources import LandingZone, Warehouse
from orchestration.lib.run_requests import nightly_request


@dg.schedule(
    cron_schedule="0 2 * * *",
    execution_timezone="Asia/Shanghai",
    job=jobs.nightly_job,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every night at 02:00 Asia/Shanghai: the nightly run as of that day.",
)
def nightly_at_two(
    context: dg.ScheduleEvaluationContext, landing: LandingZone, warehouse: Warehouse
):
    as_of = context.scheduled_execution_time.astimezone(LOCAL_TIME_ZONE).date()
    return nightly_request(
        context.instance, landing, warehouse, as_of, run_key=f"nightly-{as_of}"
    )
