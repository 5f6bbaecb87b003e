from banlib.cli import main


def test_notebook_command_names_a_missing_notebook(tmp_path, capsys):
    assert main(["notebook", str(tmp_path / "09_gone.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "09_gone.ipynb: no such notebook" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_check_site_without_a_build_says_how_to_make_one(tmp_path, capsys):
    assert main(["check-site", str(tmp_path / "html")]) == 2
    assert "build the book first" in capsys.readouterr().err


def test_grid_widths_reach_the_notebook_parameters(tmp_path, monkeypatch):
    import pytest

    import banlib.book.runner as runner

    assert runner.notebook_parameters("twin", "full", 0, tmp_path)["grid_widths"] == "quick"
    assert runner.notebook_parameters("twin", "full", 0, tmp_path, "full")["grid_widths"] == "full"
    seen = {}
    nb = tmp_path / "03_x.ipynb"
    nb.write_text("{}")
    monkeypatch.setattr(runner, "execute", lambda nb, out, params: seen.update(params))
    assert main(["notebook", str(nb), "--out", str(tmp_path / "out"), "--grid-widths", "full"]) == 0
    assert seen["grid_widths"] == "full"
    with pytest.raises(SystemExit):
        main(["book", "--grid-widths", "huge"])
