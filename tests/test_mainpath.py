"""The main path and its backup slides: grouping, order, links, time budgets, the talk's size."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from deckbuild.errors import BuildError
from deckbuild.mainpath import arrange, main_path_length, total_seconds, units
from deckbuild.paths import ROOT
from deckbuild.render import merge
from deckbuild.sources import Source, cell_tags, read_source, resolve_sources
from tests.presenting import source_file

DECKS = Path(__file__).resolve().parent / "decks"
MAIN_PATH_LIMIT = 60  # slides plus subslides: a 45-minute slot
TALK_MINUTES = (40, 45)
HIDDEN = {"remove-cell", "remove-input"}  # tags of cells whose source a slide does not show


def read(tmp_path: Path, text: str, name: str = "deck.py") -> Source:
    return read_source(source_file(tmp_path, text, name))


def slide(kind: str = "slide", *, tags: str = "", extra: str = "") -> str:
    tagged = f" tags={tags}" if tags else ""
    return f'# %% [markdown] slideshow={{"slide_type": "{kind}"}}{tagged}{extra}\n# # {kind}\n\n'


BACKUP = '["backup"]'


def headings(cells: list[object]) -> list[str]:
    return [cell.source.splitlines()[0] for cell in cells]  # type: ignore[attr-defined]


def test_a_backup_slide_takes_its_subslides_and_a_backup_subslide_only_itself(
    tmp_path: Path,
) -> None:
    text = (
        "# %%\nsetup = 1\n\n"
        + slide()
        + slide("subslide", tags=BACKUP)
        + "# %%\nx = 1\n\n"
        + slide("subslide")
        + slide(tags=BACKUP)
        + slide("subslide")
        + slide()
    )
    found = units(read(tmp_path, text).notebook.cells)
    assert [(len(unit.cells), unit.backup, unit.is_slide) for unit in found] == [
        (1, False, False),  # setup before the first slide
        (1, False, True),
        (2, True, True),  # the backup subslide and its code cell
        (1, False, True),
        (1, True, True),
        (1, True, True),  # a subslide of a backup slide is backup too
        (1, False, True),
    ]


def test_the_main_path_counts_slides_and_subslides_that_are_not_backup(tmp_path: Path) -> None:
    text = slide() + slide("subslide") + slide("fragment") + slide(tags=BACKUP) + slide("subslide")
    assert main_path_length([read(tmp_path, text)]) == 2


def test_backup_slides_move_after_every_main_slide_with_links_both_ways(tmp_path: Path) -> None:
    first = read(
        tmp_path,
        slide() + slide("subslide", tags=BACKUP) + slide("subslide") + slide(),
        "01_a.py",
    )
    appendix = read(tmp_path, slide(tags=BACKUP) + slide("subslide", tags=BACKUP), "02_b.py")
    cells = arrange([first.notebook, appendix.notebook])
    order = [cell.id for cell in cells]
    assert order == ["01_a-0", "01_a-2", "01_a-3", "01_a-1", "02_b-0", "02_b-1"]
    deck = {cell.id: cell.metadata.get("deck", {}) for cell in cells}
    assert deck["01_a-0"]["deeper"] == ["backup-01_a-1"]
    assert deck["01_a-1"] == {"id": "backup-01_a-1", "uncounted": True, "back": "slide-01_a-0"}
    # an appendix of backup slides only deepens the last main slide before it
    assert deck["01_a-3"]["deeper"] == ["backup-02_b-0"]
    assert deck["02_b-1"]["back"] == "slide-01_a-3"
    # a backup stack opens as a slide of its own
    assert cells[3].metadata.slideshow.slide_type == "slide"
    # the sources keep their cells as they were: merge works on copies
    assert "deck" not in first.notebook.cells[0].metadata
    merge([first.notebook, appendix.notebook], "t")
    assert "deck" not in first.notebook.cells[0].metadata


def test_minutes_are_shared_out_over_the_sections_main_slides(tmp_path: Path) -> None:
    text = (
        slide(extra=" minutes=1")
        + slide("subslide")
        + slide("subslide", tags=BACKUP)
        + slide("subslide")
        + slide(extra=" minutes=0.5")
    )
    cells = arrange([read(tmp_path, text).notebook])
    timings = [cell.metadata.get("deck", {}).get("timing") for cell in cells]
    assert timings == [20, 20, 20, 30, None]  # the backup subslide gets none
    assert total_seconds(cells) == 90
    assert "1 min for this section (3 slides); 1 min in" in cells[0].metadata["deck"]["budget"]


def test_slides_before_the_first_budget_are_named_in_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arrange([read(tmp_path, slide() + slide(extra=" minutes=2")).notebook])
    assert "the first 1 main slides come before the first `minutes`" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "tags", "message"),
    [
        (" minutes=0", "", "minutes must be a positive number, got 0"),
        (' minutes="5"', "", "minutes must be a positive number, got '5'"),
        (" minutes=true", "", "minutes must be a positive number, got True"),
        (" minutes=3", BACKUP, "a backup slide is off the main path, so it has no minutes"),
    ],
)
def test_a_bad_budget_is_refused_naming_the_cell(
    tmp_path: Path, extra: str, tags: str, message: str
) -> None:
    with pytest.raises(BuildError) as error:
        read(tmp_path, slide() + slide(tags=tags, extra=extra))
    assert str(error.value).endswith(f"deck.py:4: cell 2: {message}")


def test_minutes_go_on_a_slide(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="minutes goes on the first cell of a slide or subslide"):
        read(tmp_path, slide() + "# %% minutes=2\nx = 1\n")


def test_the_rendered_deck_has_uncounted_backup_slides_and_a_pacing_timer(tmp_path: Path) -> None:
    """Rendered through nbconvert: ids, links, data-visibility, data-timing and totalTime."""
    from deckbuild.inline import reveal_assets
    from deckbuild.render import render

    sources = [read_source(path) for path in sorted((DECKS / "backup").glob("*.py"))]
    html = render(merge([s.notebook for s in sources], "Backup"), reveal_assets())
    soup = BeautifulSoup(html, "html.parser")
    slides = soup.select_one("div.slides")
    assert isinstance(slides, Tag)
    stacks = slides.find_all("section", recursive=False)
    counted = [s for s in stacks if s.get("data-visibility") != "uncounted"]
    assert [s.find(["h1", "h2"]).get_text().strip("¶") for s in counted] == [  # type: ignore[union-attr]
        "A talk with backup slides",
        "Second section",
        "Thanks",
    ]
    backup = stacks[len(counted) :]
    assert backup
    assert all(s.get("data-visibility") == "uncounted" for s in backup)
    for link in soup.select("a.deck-link"):
        target = str(link["href"]).removeprefix("#/")
        assert soup.find(id=target) is not None, f"{link} points nowhere"
    assert len(soup.select("a.deck-deeper")) == 3
    assert "totalTime: 210," in html
    budget = soup.select_one("aside.notes.deck-budget")
    assert budget is not None
    assert "2 min for this section" in budget.get_text()


def test_the_talk_has_a_main_path_for_a_45_minute_slot() -> None:
    """Counted from the sources: at most 60 slides and subslides, with 40-45 minutes budgeted."""
    sources = [read_source(path) for path in resolve_sources([], root=ROOT)]
    length = main_path_length(sources)
    assert length <= MAIN_PATH_LIMIT, f"the main path has {length} slides"
    seconds = total_seconds(arrange([s.notebook for s in sources]))
    low, high = TALK_MINUTES
    assert low * 60 <= seconds <= high * 60, f"the budgets add up to {seconds / 60:g} minutes"


def test_what_the_agenda_promises_is_on_the_main_path() -> None:
    """Every name in code on the agenda slide is shown on a main slide after it, not only in the
    backup slides a presenter does not show (`gather` once was)."""
    sources = [read_source(path) for path in resolve_sources([], root=ROOT)]
    main_cells = [
        cell
        for source in sources
        for unit in units(source.notebook.cells)
        if unit.is_slide and not unit.backup
        for cell in unit.cells
        if not slide_type_is_notes(cell) and not HIDDEN & set(cell_tags(cell))
    ]
    (agenda,) = [cell for cell in main_cells if "What's he going on about now?" in cell.source]
    promised = re.findall(r"`([^`]+)`", agenda.source)
    assert len(promised) >= 5, promised
    after = "\n".join(cell.source for cell in main_cells[main_cells.index(agenda) + 1 :])
    missing = [name for name in promised if name.removeprefix("asyncio.") not in after]
    assert not missing, f"the agenda names {missing}, which no main slide shows"


def slide_type_is_notes(cell: object) -> bool:
    return cell.metadata.get("slideshow", {}).get("slide_type") == "notes"  # type: ignore[attr-defined,no-any-return]
