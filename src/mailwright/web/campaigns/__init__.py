"""Campaigns: the list, a new draft, its progress while sending, send/pause/resume/cancel, and
its report (a read model of mailwright.feedback.reports) with the CSV download."""
