"""The development numba cache is keyed on every module's source."""
import os

from embed import devcache


def test_the_cache_folder_follows_any_module_of_the_package(tmp_path, monkeypatch):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "a.py").write_text("x = 1\n")
    (pkg / "sub" / "helper.py").write_text("def f(): return 1\n")
    before = devcache.source_hash(pkg)
    assert devcache.source_hash(pkg) == before
    (pkg / "sub" / "helper.py").write_text("def f(): return 2\n")   # an inlined helper changed
    assert devcache.source_hash(pkg) != before


def test_the_folder_is_set_once_and_old_ones_go(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    (tmp_path / "stale").mkdir()
    here = devcache.use_source_keyed_cache(tmp_path)
    assert os.environ["NUMBA_CACHE_DIR"] == str(here) and here.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == [here.name]
    assert devcache.use_source_keyed_cache(tmp_path) is None    # already set: left alone
