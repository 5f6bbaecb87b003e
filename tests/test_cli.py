from banlib.cli import main


def test_notebook_command_names_a_missing_notebook(tmp_path, capsys):
    assert main(["notebook", str(tmp_path / "09_gone.ipynb"), "--out", str(tmp_path / "out")]) == 2
    assert "09_gone.ipynb: no such notebook" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_check_site_without_a_build_says_how_to_make_one(tmp_path, capsys):
    assert main(["check-site", str(tmp_path / "html")]) == 2
    assert "build the book first" in capsys.readouterr().err
