"""Imports every stage's models, so that metadata (and Alembic) sees all tables."""

from competition.audit.models import AuditEvent
from competition.auth.models import AccessToken, Role, User
from competition.entries.models import Conflict, Contestant, Entry, LotDraw
from competition.events.models import (
    Competition,
    CompetitionOrganizer,
    Criterion,
    Division,
    Event,
    Expert,
    ExpertOccupation,
    Module,
    Occupation,
    PanelDraw,
    PanelMember,
    PromotionRule,
)
from competition.grades.models import Certificate, CertificateSerial, Promotion
from competition.jobs.models import Job, JobFilePart
from competition.judging.models import ExternalScore, IdempotencyKey, Mark, Penalty, ScoreSheet
from competition.results.models import Appeal, Publication, Result, TieBreakDecision
from competition.uploads import PendingUpload

__all__ = [
    "AccessToken", "Appeal", "AuditEvent", "Certificate", "CertificateSerial", "Competition",
    "CompetitionOrganizer", "Conflict", "Contestant", "Criterion", "Division", "Entry", "Event",
    "Expert", "ExpertOccupation", "ExternalScore", "IdempotencyKey", "Job", "JobFilePart",
    "LotDraw", "Mark", "Module",
    "Occupation", "PanelDraw", "PanelMember", "PendingUpload", "Penalty", "PromotionRule",
    "Publication", "Result", "Role", "ScoreSheet", "TieBreakDecision", "Promotion", "User",
]
