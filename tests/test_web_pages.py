"""The app's pages as a person uses them, in a real Chromium at desktop and phone widths: a shared
search URL, a track's sound and why each song is recommended, Play (Spotify loaded on click only),
comparing two sounds, the playlist builder (controls, exports, a shared link), the map (zoom, find
a song, open one), a cluster; and every page passing tests/browser.py's checks (no sideways
scroll, Tab and a visible focus everywhere, no serious axe-core violation, a favicon). The
listener page's checks are in test_listens.py (it needs a warehouse with listens)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import WIDTHS, browser, check_page, needs_chromium, serving
from wavehouse.paths import published_db

SEED = "4qPNDBW1i3p13qLCt0Ki3A"  # Ghost - Acoustic (Ben Woodward), in the fixture
pytestmark = needs_chromium


@pytest.fixture(scope="module")
def app(built_home):
    with serving(published_db(built_home)) as url:
        yield url


@pytest.fixture(scope="module")
def chrome():
    with browser() as instance:
        yield instance


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_every_page_passes_the_checks(app, chrome, width):
    page = chrome.new_page(viewport={"width": width, "height": 900})
    for path in ["/", "/?q=ghost%20acoustic", f"/track/{SEED}", "/clusters", "/cluster/0", f"/playlist?seed={SEED}"]:
        check_page(page, app + path)
    page.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_shared_search_opens_a_track_whose_sound_and_why_read_in_words(app, chrome, width):
    page = chrome.new_page(viewport={"width": width, "height": 900})
    spotify = []
    page.route("https://open.spotify.com/**", lambda route: (spotify.append(route.request.url), route.abort()))
    page.goto(app + "/?q=ghost%20acoustic")
    page.wait_for_selector("tr.result a")  # the shared URL opens with its results
    assert page.input_value("#q") == "ghost acoustic"
    page.fill("#q", "shape of you")
    page.wait_for_function("location.search === '?q=shape%20of%20you'")  # the URL follows the search
    page.goto(app + "/?q=ghost%20acoustic")
    page.click("tr.result a >> nth=0")
    page.wait_for_url("**/track/**")
    assert page.inner_text("h1") == "Ghost - Acoustic"
    # its sound: a dot per continuous feature, values in units
    assert page.locator("#sound circle").count() >= 8
    features = page.locator("details").first.text_content()
    assert "BPM" in features and " dB" in features and ("major" in features or "minor" in features)
    # why, in words, for each of the ten songs like it
    table = page.locator("table.cards").nth(1)
    assert table.locator("tr").count() == 11
    assert table.inner_text().count("similar ") >= 5 and "agree_most" not in table.inner_text()
    # Play: nothing from Spotify before the click, then its embed player for that track
    assert not spotify and page.locator("iframe").count() == 0
    first = table.locator("button.play").first
    title = first.get_attribute("data-title")
    page.get_by_role("button", name=f"Play {title}").click()
    frame = page.locator("iframe")
    assert frame.count() == 1 and "open.spotify.com/embed/track/" in frame.get_attribute("src")
    # compare: the other song's marks join the chart
    table.locator("button.compare").first.click()
    page.wait_for_selector("#sound path")
    assert page.locator("#sound path").count() >= 8
    page.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_a_playlist_is_built_shaped_taken_away_and_shared(app, chrome, width):
    page = chrome.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{app}/playlist?seed={SEED}&n=10")
    rows = page.locator("#list tr")
    assert rows.count() == 11
    before = page.inner_text("#list")
    page.locator("#discovery").fill("1")  # a range input: the list updates as it moves
    page.wait_for_function("new URLSearchParams(location.search).get('discovery') === '1'")
    page.wait_for_function(f"document.getElementById('list').innerText !== {before!r}")
    assert "Ben Woodward" not in page.inner_text("#list")  # full discovery: none of the seed's artists
    shared = page.url
    query = parse_qs(urlparse(shared).query)
    assert query["seed"] == [SEED] and query["discovery"] == ["1"]
    m3u = page.request.get(app + page.get_attribute("#get-m3u", "href"))
    assert m3u.ok and m3u.text().startswith("#EXTM3U") and m3u.text().count("#EXTINF") == 10
    csv = page.request.get(app + page.get_attribute("#get-csv", "href")).text()
    assert csv.splitlines()[0].startswith("position,track_id,track_name")
    again = chrome.new_page(viewport={"width": width, "height": 900})
    again.goto(shared)  # the shared link rebuilds the same list
    assert again.inner_text("#list") == page.inner_text("#list")
    again.close()
    page.fill("#add", "shape of you")  # another seed, typed: the page comes back with both
    page.press("#add", "Enter")
    page.wait_for_function("document.querySelectorAll('input[name=seed][type=hidden]').length === 2")
    page.goto(f"{app}/playlist?mood=calm&n=5")  # or start from a mood
    assert page.locator("#list tr").count() == 6 and page.locator("input[name=seed][type=hidden]").count() == 5
    page.close()


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
def test_the_map_places_every_track_zooms_finds_a_song_and_opens_it(app, chrome, width, built_home, monkeypatch):
    import duckdb

    from wavehouse.web import map_page

    with duckdb.connect(str(published_db(built_home)), read_only=True) as con:
        n_tracks = con.execute("select count(*) from dim_tracks").fetchall()[0][0]
    # pages of 1,000 tracks: the page loads a large catalogue a bounded page at a time
    monkeypatch.setattr(map_page, "PAGE_ROWS", 1000)
    page = chrome.new_page(viewport={"width": width, "height": 900})
    page.goto(app + "/clusters")
    page.wait_for_function("document.getElementById('map').dataset.ready > 0")
    assert int(page.get_attribute("#map", "data-ready")) == n_tracks > 2000  # every track is on the map
    assert page.inner_text("#count") == f"{n_tracks:,}"
    names = [r["cluster_name"] for r in page.request.get(app + "/api/clusters").json()["clusters"]]
    assert page.locator("a.legend").all_inner_texts() == names  # the legend names the clusters
    before = page.evaluate("view.s")
    page.click("#zoomin")
    assert page.evaluate("view.s") > before
    page.fill("#song", "ghost acoustic")
    page.press("#song", "Enter")
    page.wait_for_function("marked.length > 1")
    assert "Ghost - Acoustic" in page.inner_text("#found")
    page.locator("#map").scroll_into_view_if_needed()
    x, y = page.evaluate("""() => { const c = document.getElementById('map'), b = c.getBoundingClientRect();
                                    const k = b.width / c.width; return [b.left + px(marked[0]) * k, b.top + py(marked[0]) * k]; }""")
    page.mouse.click(x, y)
    page.wait_for_url("**/track/**")
    page.go_back()
    page.wait_for_selector("a.legend")
    page.click("a.legend >> nth=0")
    page.wait_for_url("**/cluster/**")
    assert page.locator("svg[role=img]").count() >= 1  # its genre mix and profile as charts
    assert page.locator("button.play").count() >= 5
    page.close()
