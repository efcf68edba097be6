"""Storage: migrations build the models' schema; repository functions.

On SQLite files, and on PostgreSQL under ``make test-postgres`` (see databases.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from bot.core.inbox import PersonInfo, TicketState
from bot.core.matching import Alternative
from bot.core.messages import Button, OutMessage, Relay, StaffMessage, ToChat, ToTopic
from bot.core.units import CURRENT_UPDATE, UpdateContext
from bot.storage import database, leases, outbox, updates
from bot.storage import repository as repo
from bot.storage.database import (
    SCHEMA_REVISION,
    Database,
    alembic_config,
    make_engine,
    migrate,
    schema_revision,
)
from bot.storage.repository import SqlInboxStore
from bot.storage.units import SqlTransactions

T = TypeVar("T")

NOW = datetime(2026, 11, 22, 11, 0, tzinfo=UTC)


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database.connect(database_url)
    yield database  # type: ignore[misc]
    database.close()


def test_migrations_create_exactly_the_models_schema(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    assert differences == []
    engine.dispose()


def test_migrations_go_down_and_up_again(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate(engine)
    config = alembic_config(database_url)
    command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate(engine)
    assert set(inspect(engine).get_table_names()) == {*SQLModel.metadata.tables, "alembic_version"}
    engine.dispose()


def test_a_database_at_the_newest_migration_is_opened_without_migrating(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    heads = ScriptDirectory.from_config(alembic_config(database_url)).get_heads()
    assert heads == [SCHEMA_REVISION], "a new migration: set SCHEMA_REVISION to it"
    engine = make_engine(database_url)
    assert schema_revision(engine) is None  # a new database
    Database.connect(database_url).close()  # migrates it
    assert schema_revision(engine) == SCHEMA_REVISION
    engine.dispose()

    def must_not_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("migrated a database that was up to date")

    monkeypatch.setattr(database, "migrate", must_not_run)
    Database.connect(database_url).close()


@pytest.mark.parametrize(
    "url",
    [
        "postgres://bot:secret@db.example:5432/torun",  # as hosting platforms write it
        "postgresql://bot:secret@db.example:5432/torun",
        "postgresql+psycopg://bot:secret@db.example:5432/torun",
    ],
)
def test_postgresql_urls_use_the_installed_driver(url: str) -> None:
    engine = make_engine(url)  # creating an engine does not connect
    assert (engine.dialect.name, engine.dialect.driver) == ("postgresql", "psycopg")
    assert (engine.url.host, engine.url.database, engine.url.password) == (
        "db.example",
        "torun",
        "secret",
    )
    engine.dispose()


def test_the_tests_use_the_database_they_were_given(db: Database) -> None:
    backend = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert db.engine.url.get_backend_name() == backend
    with db.engine.connect() as connection:
        version = connection.execute(
            sql("SELECT version()" if backend == "postgresql" else "SELECT sqlite_version()")
        ).scalar_one()
    assert version.startswith("PostgreSQL") if backend == "postgresql" else version[0].isdigit()


def inbox(db: Database, fn: Callable[[SqlInboxStore], T]) -> T:
    """Run ``fn`` on the inbox store in one transaction."""
    return db.call(lambda session: fn(SqlInboxStore(session)))


def test_person_is_created_once_and_refreshed(db: Database) -> None:
    info = PersonInfo(42, "Anna", "anna", "pl")
    first = inbox(db, lambda s: s.save_person(info, "pl", NOW))
    again = inbox(db, lambda s: s.save_person(PersonInfo(42, "Anna K", None, "pl"), "en", NOW))
    assert first.id == again.id
    assert again.first_name == "Anna K"
    assert again.language == "pl"  # the stored language is kept on later contacts
    inbox(db, lambda s: s.set_language(first.id, "uk"))
    stored = inbox(db, lambda s: s.person_by_telegram_id(42))
    assert stored is not None and stored.language == "uk" and stored.language_chosen


def test_an_unchanged_person_is_not_written(db: Database) -> None:
    info = PersonInfo(42, "Anna", "anna", "pl")
    inbox(db, lambda s: s.save_person(info, "pl", NOW))

    def dirty_after_save(store: SqlInboxStore, at: datetime) -> bool:
        store.save_person(info, "pl", at)
        return bool(store.session.dirty)

    assert not inbox(db, lambda s: dirty_after_save(s, NOW + timedelta(minutes=5)))
    # The last-seen time is refreshed at most hourly.
    assert inbox(db, lambda s: dirty_after_save(s, NOW + timedelta(hours=2)))


def test_ticket_states_and_thread_lookup(db: Database) -> None:
    person = inbox(db, lambda s: s.save_person(PersonInfo(1, "A"), "pl", NOW))
    ticket = inbox(db, lambda s: s.create_ticket(person.id, NOW))
    assert ticket.state is TicketState.OPEN
    inbox(db, lambda s: s.set_staff_thread(person.id, 77))
    answered = inbox(
        db,
        lambda s: s.update_ticket(ticket.id, state=TicketState.ANSWERED, now=NOW, staff_name="Jan"),
    )
    assert answered.last_staff_name == "Jan"
    found = inbox(db, lambda s: s.ticket_by_thread(77))
    assert found is not None and found[0].id == ticket.id
    assert inbox(db, lambda s: s.ticket_by_thread(78)) is None
    inbox(db, lambda s: s.update_ticket(ticket.id, state=TicketState.CLOSED, now=NOW))
    assert inbox(db, lambda s: s.active_tickets()) == []


def test_feedback_one_vote_per_answer(db: Database) -> None:
    person = inbox(db, lambda s: s.save_person(PersonInfo(1, "A"), "pl", NOW))
    inbox(db, lambda s: s.record_feedback(person.id, "office.hours", True, 1, 10, NOW))
    inbox(db, lambda s: s.record_feedback(person.id, "office.hours", False, 1, 10, NOW))
    inbox(db, lambda s: s.record_feedback(person.id, "kongres.when", True, 1, 11, NOW))
    counts = inbox(db, lambda s: s.feedback_counts())
    assert counts == {("office.hours", False): 1, ("kongres.when", True): 1}


def test_unanswered_grouped_most_frequent_first(db: Database) -> None:
    for i, text in enumerate(["Dziura w jezdni!", "dziura w jezdni", "Wywóz śmieci?"]):
        inbox(
            db,
            lambda s, text=text, i=i: s.log_unanswered(  # type: ignore[misc]
                None, text, "pl", Alternative("office.contact", 0.3), NOW + timedelta(minutes=i)
            ),
        )
    summary = inbox(db, lambda s: s.unanswered_summary(10))
    assert [(row.count, row.best_guess) for row in summary] == [
        (2, "office.contact"),
        (1, "office.contact"),
    ]
    assert summary[0].text == "dziura w jezdni"  # the latest wording of the group


def test_learned_examples_are_unique_and_exportable(db: Database) -> None:
    assert inbox(
        db,
        lambda s: s.add_learned_example("ngo.premises", "sala  dla NGO?", "pl", None, "Jan", NOW),
    )
    assert not inbox(
        db, lambda s: s.add_learned_example("ngo.premises", "sala dla NGO?", "pl", None, "Ewa", NOW)
    )
    pending = db.call(repo.pending_learned_examples)
    assert [p.text for p in pending] == ["sala dla NGO?"]
    db.call(repo.mark_exported, [p.id for p in pending if p.id], NOW)
    assert db.call(repo.pending_learned_examples) == []


async def test_async_access_runs_off_the_event_loop(db: Database) -> None:
    person = await db.run(lambda s: SqlInboxStore(s).save_person(PersonInfo(5, "E"), "pl", NOW))
    assert (await db.run(lambda s: SqlInboxStore(s).person(person.id))).first_name == "E"


# ---------------------------------------------------------------- inbound updates
def test_an_update_is_stored_once_and_marked_with_its_effects(db: Database) -> None:
    assert db.call(updates.store, [(1001, "{}"), (1002, "{}")], "a", NOW) == [1001, 1002]
    # A redelivery, or the other replica receiving the same update, stores nothing.
    assert db.call(updates.store, [(1001, "{}")], "b", NOW) == []
    db.call(updates.mark_processed, 1001, NOW)
    assert db.call(updates.is_processed, 1001)
    # The other one was never processed: after the claim expires, anyone takes it.
    assert db.call(updates.claim_pending, "b", NOW) == []
    later = NOW + updates.CLAIM + timedelta(seconds=1)
    assert [u.update_id for u in db.call(updates.claim_pending, "b", later)] == [1002]


async def test_only_a_transaction_with_effects_marks_the_update_processed(db: Database) -> None:
    """A handler that only looks (is this message for me?) must leave the update unsettled:
    were it marked then, a crash before the next handler's transaction would lose that
    handler's effects (a staff reply never relayed)."""
    transactions = SqlTransactions(db, owner="a", staff_chat_id=-100)
    db.call(updates.store, [(3001, "{}")], "a", NOW)
    context = UpdateContext(3001)
    token = CURRENT_UPDATE.set(context)
    try:
        assert await transactions.run(lambda unit: unit.inbox.ticket_by_thread(99)) is None
        assert not context.marked
        assert not db.call(updates.is_processed, 3001)
        await transactions.run(lambda unit: unit.outbox.put(ToChat(5, OutMessage("hej"))))
        assert context.marked
        assert db.call(updates.is_processed, 3001)
    finally:
        CURRENT_UPDATE.reset(token)


def test_a_failing_update_is_set_aside_after_a_few_attempts(db: Database) -> None:
    db.call(updates.store, [(7, '{"update_id": 7}')], "a", NOW)
    attempts = [
        db.call(updates.record_failure, 7, "boom", NOW) for _ in range(updates.MAX_ATTEMPTS)
    ]
    assert attempts == list(range(1, updates.MAX_ATTEMPTS + 1))
    assert db.call(updates.is_processed, 7)  # set aside, never tried again
    assert db.call(updates.claim_pending, "a", NOW + timedelta(hours=1)) == []


# ---------------------------------------------------------------- outbox
def test_outbox_entries_are_claimed_completed_and_followed_up(db: Database) -> None:
    staff = -100
    note = ToTopic(7, OutMessage("sent"), 1)
    first = ToChat(42, OutMessage("hello"), then=(note,))
    [entry] = db.call(lambda s: outbox.insert(s, [first], "a", staff, NOW))
    assert entry.lane is outbox.Lane.PRIVATE and entry.key == "chat:42:0"
    # Held by its writer: another process does not take it...
    assert db.call(outbox.claim_due, "b", NOW) == []
    # ...until the claim expires (the writer died).
    later = NOW + outbox.CLAIM + timedelta(seconds=1)
    [taken] = db.call(outbox.claim_due, "b", later)
    assert taken.message == first
    [follow_up] = db.call(outbox.complete, [taken.id], later, 555, first.then, "b", staff)
    assert follow_up.message == note and follow_up.lane is outbox.Lane.STAFF
    assert db.call(outbox.counts) == {"sent": 1, "pending": 1}


def test_outbox_retry_keeps_the_entry_until_its_time(db: Database) -> None:
    [entry] = db.call(lambda s: outbox.insert(s, [ToChat(1, OutMessage("x"))], "a", -100, NOW))
    at = NOW + timedelta(seconds=30)
    db.call(outbox.retry, [entry.id], NOW, at, "500", count=True, owner="a")
    # Its process keeps it in hand: a read of the database never hands it back.
    assert db.call(outbox.claim_due, "a", at) == []
    # Another process takes it only when that claim has run out (the holder died).
    assert db.call(outbox.claim_due, "b", at + timedelta(seconds=10)) == []
    [again] = db.call(outbox.claim_due, "b", at + outbox.CLAIM + timedelta(seconds=1))
    assert again.attempts == 1 and again.previous_owner == "a"


def test_outbox_failure_queues_the_notes_for_staff(db: Database) -> None:
    tell = ToTopic(3, OutMessage("Not delivered"))
    message = ToChat(1, OutMessage("x"), on_failed=(tell,))
    [entry] = db.call(lambda s: outbox.insert(s, [message], "a", -100, NOW))
    [note] = db.call(outbox.fail, [entry.id], NOW, "403", message.on_failed, "a", -100)
    assert note.message == tell
    assert db.call(outbox.counts) == {"failed": 1, "pending": 1}


def test_outbox_messages_survive_the_round_trip_through_json() -> None:
    staff = StaffMessage(-100, 5, 9, "Jan", 77, "<b>Tak</b>", None, False, True)
    message = Relay(
        42,
        staff,
        "Biuro",
        ticket_id=3,
        then=(ToTopic(7, OutMessage("ok", ((Button("Dodaj", callback="k:3"),),)), 3, batch=True),),
        on_failed=(ToTopic(7, OutMessage("nie"), 3),),
    )
    assert outbox.decode(outbox.encode(message)) == message


# ---------------------------------------------------------------- leases
def test_a_lease_has_one_holder_until_it_expires(db: Database) -> None:
    ttl = timedelta(seconds=30)
    assert db.call(leases.take, "jobs", "a", NOW, ttl)
    assert db.call(leases.take, "jobs", "a", NOW + timedelta(seconds=10), ttl)  # renewed
    assert not db.call(leases.take, "jobs", "b", NOW + timedelta(seconds=20), ttl)
    assert db.call(leases.take, "jobs", "b", NOW + timedelta(seconds=41), ttl)
    assert not db.call(leases.take, "jobs", "a", NOW + timedelta(seconds=42), ttl)
    db.call(leases.release, "jobs", "b")
    assert db.call(leases.take, "jobs", "a", NOW + timedelta(seconds=43), ttl)
