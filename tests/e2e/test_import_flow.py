"""End to end in a real browser: import a Windows-1250 CSV of Polish contacts through
Contacts → Import (upload, check the detected mapping and change a column, start, watch the
progress bar fill without a reload, read the report), then find the contacts with their
letters intact; and a list that looks bought: held, its warning read, imported anyway.

The import runs the way `mailwright up` runs it: the page enqueues it in the database task
queue and a django-tasks database worker (what `mailwright tasks` runs) takes it."""

from __future__ import annotations

import os
import re
import threading

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PEOPLE = [
    ("Łukasz", "Żółć", "Kraków"),
    ("Zażółć", "Gęślą", "Łódź"),
    ("Małgorzata", "Wąsik", "Gdańsk"),
    ("Grzegorz", "Brzęczyszczykiewicz", "Chrząszczyżewoszyce"),
    ("Agnieszka", "Źdźbło", "Poznań"),
    ("Jędrzej", "Śliwiński", "Świnoujście"),
]


def shot(page, name: str) -> None:
    """Save a screenshot when MW_SCREENSHOT_DIR is set (for looking at the UI by eye)."""
    directory = os.environ.get("MW_SCREENSHOT_DIR")
    if directory:
        page.screenshot(path=os.path.join(directory, f"{name}.png"), full_page=True)


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    settings.DATA_DIR.mkdir()


@pytest.fixture
def task_worker():
    """Start the django-tasks database worker (the `mailwright tasks` loop) in a thread."""
    from django.db import connection
    from django_tasks_db.management.commands.db_worker import Worker

    workers: list[tuple[Worker, threading.Thread]] = []

    def start() -> None:
        worker = Worker(
            queue_names=["*"],
            interval=0.1,
            batch=False,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="e2e-worker",
            excluded_queue_names=[],
        )

        def loop() -> None:
            try:
                worker.run()
            finally:
                connection.close()

        thread = threading.Thread(target=loop, daemon=True)
        thread.start()
        workers.append((worker, thread))

    yield start
    for worker, thread in workers:
        worker.running = False
        thread.join(timeout=30)


def sign_in(page, url: str) -> None:
    page.goto(url)
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Sign in").click()


def upload(page, path, basis: str) -> None:
    from playwright.sync_api import expect

    page.get_by_role("navigation", name="Contacts").get_by_role("link", name="Import").click()
    page.get_by_role("link", name="Import a file").click()
    expect(page.get_by_role("heading", name="Import a file")).to_be_visible()
    page.get_by_label("File", exact=True).set_input_files(str(path))
    page.get_by_label("Newsletter").check()
    page.get_by_label("Lawful basis").fill(basis)


def test_import_a_windows_1250_file_and_watch_it_run(
    page, live_server, admin_user, newsletter, task_worker, tmp_path
):
    from playwright.sync_api import expect

    from mailwright.contacts.models import AttributeDefinition

    AttributeDefinition.objects.create(key="city", label="City", type="string")
    lines = ["Adres e-mail;Imię;Nazwisko;Miasto;Zgoda"]
    for i, (first, last, city) in enumerate(PEOPLE * 5):
        lines.append(f"osoba{i}@example.pl;{first};{last};{city};tak")
    lines[1] = "lukasz@example.pl;Łukasz;Żółć;Kraków;2024-03-01 formularz na stronie"
    lines.insert(8, "to-nie-jest-adres;Błędny;Wiersz;Gdańsk;tak")
    lines.insert(20, "ktoś@@example.pl;Zły;Adres;Łódź;tak")
    path = tmp_path / "kontakty.csv"
    path.write_bytes("\r\n".join(lines).encode("cp1250") + b"\r\n")

    sign_in(page, f"{live_server.url}/contacts/")
    upload(page, path, "existing customers, soft opt-in")
    shot(page, "import-upload")
    page.get_by_role("button", name="Upload and map columns").click()

    # The mapping page: the file read as Windows-1250, the columns recognised by name.
    expect(page.get_by_role("heading", name="Map the columns of kontakty.csv")).to_be_visible()
    expect(page.get_by_test_id("import-encoding")).to_contain_text("Windows-1250")
    expect(page.get_by_test_id("import-encoding")).to_contain_text("detected")
    preview = page.get_by_test_id("import-preview")
    expect(preview.get_by_role("cell", name="Żółć", exact=True)).to_be_visible()
    expect(preview.get_by_role("cell", name="Zażółć", exact=True).first).to_be_visible()
    expect(page.get_by_label("Adres e-mail")).to_have_value("email")
    expect(page.get_by_label("Imię")).to_have_value("first_name")
    expect(page.get_by_label("Nazwisko")).to_have_value("last_name")
    expect(page.get_by_label("Zgoda")).to_have_value("consent")
    expect(page.get_by_label("Miasto")).to_have_value("")  # no attribute of that name
    page.get_by_label("Miasto").select_option("attributes.city")
    shot(page, "import-mapping")
    page.get_by_role("button", name="Start import").click()

    # The progress page, before any worker has taken the import: 0 %.
    bar = page.get_by_test_id("import-progress")
    expect(bar).to_have_attribute("value", "0")
    expect(page.get_by_role("heading", name="Checking the addresses…")).to_be_visible()
    shot(page, "import-progress")

    # Only now the worker starts: the page learns of the run by polling, without a reload,
    # shows the bar full, then the report.
    page.evaluate("window.notReloaded = true")
    task_worker()
    expect(bar).to_have_attribute("value", "100", timeout=30_000)
    expect(page.locator(".progress-label")).to_contain_text("100%")
    assert page.evaluate("window.notReloaded") is True
    expect(page.get_by_role("link", name="Download report (CSV)")).to_be_visible(timeout=10_000)

    # The report.
    expect(page.get_by_test_id("import-state")).to_have_text("Done")
    counts = page.get_by_test_id("import-counts")
    expect(counts.locator('[data-count="imported"] dd')).to_have_text("30")
    expect(counts.locator('[data-count="rejected"] dd')).to_have_text("2")
    expect(counts.locator('[data-count="merged"] dd')).to_have_text("0")
    issues = page.get_by_test_id("import-issues")
    bad = issues.locator('tr[data-line="9"]')
    expect(bad).to_contain_text("to-nie-jest-adres")
    expect(bad).to_contain_text("Rejected")
    expect(bad.locator("td").nth(3)).to_contain_text(re.compile(r"\S"))  # a reason is given
    expect(issues.locator('tr[data-line="21"]')).to_contain_text("ktoś@@example.pl")
    shot(page, "import-report")
    page.get_by_role("link", name="Imports", exact=True).click()
    row = page.locator("tr", has_text="kontakty.csv")
    expect(row.get_by_test_id("import-state")).to_have_text("Done")
    expect(row.locator("td").nth(2)).to_have_text("30")
    shot(page, "import-list")

    # The people came in with their Polish letters.
    page.get_by_role("link", name="All contacts").click()
    page.get_by_label("Search", exact=True).fill("lukasz@")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_role("cell", name="Łukasz Żółć", exact=True)).to_be_visible()
    page.get_by_role("link", name="lukasz@example.pl").click()
    expect(page.get_by_text("Kraków")).to_be_visible()
    page.goto(f"{live_server.url}/contacts/?q=Brzęczyszczykiewicz")
    expect(page.get_by_role("cell", name="Grzegorz Brzęczyszczykiewicz")).to_have_count(5)

    # A segment of the people just imported: the live count follows the conditions.
    page.get_by_role("link", name="Segments").click()
    page.get_by_role("link", name="New segment").click()
    count = page.get_by_test_id("live-count")
    expect(count).to_have_text("30")
    page.get_by_role("button", name="+ Condition").click()
    page.get_by_label("Field").select_option(label="City (string)")
    page.get_by_label("Value").fill("Kraków")
    expect(count).to_have_text("5")  # Łukasz and the four other rows from Kraków
    expect(
        page.get_by_test_id("sample").get_by_role("link", name="lukasz@example.pl")
    ).to_be_visible()
    page.get_by_label("Value").fill("Łódź")
    expect(count).to_have_text("5")
    page.get_by_label("Value").fill("Chrząszczyżewoszyce")
    expect(count).to_have_text("5")
    page.get_by_label("Value").fill("Berlin")
    expect(count).to_have_text("0")
    shot(page, "import-segment")


def test_a_bought_looking_list_is_held_until_imported_anyway(
    page, live_server, admin_user, newsletter, task_worker, tmp_path
):
    from playwright.sync_api import expect

    path = tmp_path / "kupiona-lista.csv"
    path.write_text("email,name\n" + "".join(f"lead{i}@example.pl,Lead {i}\n" for i in range(12)))
    task_worker()

    sign_in(page, f"{live_server.url}/contacts/")
    upload(page, path, "bought from a partner")
    page.get_by_role("button", name="Upload and map columns").click()
    page.get_by_role("button", name="Start import").click()

    # The analysis finds no consent evidence at all: the page switches to the hold.
    warning = page.get_by_test_id("hold-warning")
    expect(warning).to_be_visible(timeout=30_000)
    expect(warning).to_contain_text("This import is on hold")
    expect(warning).to_contain_text("none of the 12 rows carries evidence")
    expect(page.get_by_test_id("import-state")).to_have_text("Held")
    expect(page.locator('[data-hygiene="no_consent"] dd')).to_have_text("100.0%")
    shot(page, "import-held")

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Import anyway").click()
    expect(page.get_by_test_id("import-state")).to_have_text("Done", timeout=30_000)
    expect(page.locator('[data-count="imported"] dd')).to_have_text("12")


def test_without_javascript_the_progress_page_refreshes_itself(
    browser, live_server, admin_user, newsletter, task_worker, tmp_path
):
    from playwright.sync_api import expect

    path = tmp_path / "list.csv"
    path.write_text("email,consent\n" + "".join(f"p{i}@example.pl,yes\n" for i in range(5)))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, f"{live_server.url}/contacts/")
        upload(page, path, "double opt-in on our site")
        page.get_by_role("button", name="Upload and map columns").click()
        page.get_by_label("Encoding").select_option("cp1250")
        page.get_by_role("button", name="Read again").click()  # the no-JS way to re-read
        expect(page.get_by_test_id("import-encoding")).to_contain_text("Windows-1250")
        page.get_by_role("button", name="Start import").click()
        expect(page.get_by_role("heading", name="Checking the addresses…")).to_be_visible()
        task_worker()
        # <noscript><meta http-equiv="refresh"> reloads the page until the report shows.
        expect(page.get_by_test_id("import-state")).to_have_text("Done", timeout=30_000)
        expect(page.locator('[data-count="imported"] dd')).to_have_text("5")
    finally:
        context.close()
