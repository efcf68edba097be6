"""Storage: migrations build the models' schema; repository functions.

On SQLite files, and on PostgreSQL under ``make test-postgres`` (see databases.py).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlmodel import SQLModel

from bot.core.inbox import PersonInfo, TicketState
from bot.core.matching import Alternative
from bot.storage import repository as repo
from bot.storage.database import Database, alembic_config, make_engine, migrate

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


def test_person_is_created_once_and_refreshed(db: Database) -> None:
    info = PersonInfo(42, "Anna", "anna", "pl")
    first = db.call(repo.upsert_person, info, "pl", NOW)
    again = db.call(repo.upsert_person, PersonInfo(42, "Anna K", None, "pl"), "en", NOW)
    assert first.id == again.id
    assert again.first_name == "Anna K"
    assert again.language == "pl"  # the stored language is kept on later contacts
    db.call(repo.set_language, first.id, "uk")
    assert db.call(repo.person_by_telegram_id, 42).language == "uk"  # type: ignore[union-attr]


def test_ticket_states_and_thread_lookup(db: Database) -> None:
    person = db.call(repo.upsert_person, PersonInfo(1, "A"), "pl", NOW)
    ticket = db.call(repo.create_ticket, person.id, NOW)
    assert ticket.state is TicketState.OPEN
    db.call(repo.set_staff_thread, person.id, 77)
    answered = db.call(
        repo.update_ticket, ticket.id, state=TicketState.ANSWERED, now=NOW, staff_name="Jan"
    )
    assert answered.last_staff_name == "Jan"
    found = db.call(repo.ticket_by_thread, 77)
    assert found is not None and found[0].id == ticket.id
    assert db.call(repo.ticket_by_thread, 78) is None
    db.call(repo.update_ticket, ticket.id, state=TicketState.CLOSED, now=NOW)
    assert db.call(repo.active_tickets) == []


def test_redelivered_update_is_claimed_once(db: Database) -> None:
    assert db.call(repo.claim_update, 1001, NOW) is True
    assert db.call(repo.claim_update, 1001, NOW) is False
    assert db.call(repo.claim_update, 1002, NOW) is True


def test_feedback_one_vote_per_answer(db: Database) -> None:
    person = db.call(repo.upsert_person, PersonInfo(1, "A"), "pl", NOW)
    db.call(repo.record_feedback, person.id, "office.hours", True, 1, 10, NOW)
    db.call(repo.record_feedback, person.id, "office.hours", False, 1, 10, NOW)
    db.call(repo.record_feedback, person.id, "kongres.when", True, 1, 11, NOW)
    counts = db.call(repo.feedback_counts)
    assert counts == {("office.hours", False): 1, ("kongres.when", True): 1}


def test_unanswered_grouped_most_frequent_first(db: Database) -> None:
    for i, text in enumerate(["Dziura w jezdni!", "dziura w jezdni", "Wywóz śmieci?"]):
        db.call(
            repo.log_unanswered,
            None,
            text,
            "pl",
            Alternative("office.contact", 0.3),
            NOW + timedelta(minutes=i),
        )
    summary = db.call(repo.unanswered_summary, 10)
    assert [(row.count, row.best_guess) for row in summary] == [
        (2, "office.contact"),
        (1, "office.contact"),
    ]
    assert summary[0].text == "dziura w jezdni"  # the latest wording of the group


def test_learned_examples_are_unique_and_exportable(db: Database) -> None:
    assert db.call(
        repo.add_learned_example, "ngo.premises", "sala  dla NGO?", "pl", None, "Jan", NOW
    )
    assert not db.call(
        repo.add_learned_example, "ngo.premises", "sala dla NGO?", "pl", None, "Ewa", NOW
    )
    pending = db.call(repo.pending_learned_examples)
    assert [p.text for p in pending] == ["sala dla NGO?"]
    db.call(repo.mark_exported, [p.id for p in pending if p.id], NOW)
    assert db.call(repo.pending_learned_examples) == []


async def test_async_access_runs_off_the_event_loop(db: Database) -> None:
    person = await db.run(repo.upsert_person, PersonInfo(5, "E"), "pl", NOW)
    assert (await db.run(repo.get_person, person.id)).first_name == "E"
