import pytest

from banlib.config import PROFILES, QUICK_WIDTHS, get_profile, grid_widths


def test_the_recurrence_grid_is_at_quick_widths_in_every_profile_unless_asked():
    for name in PROFILES:
        assert grid_widths(get_profile(name)) == QUICK_WIDTHS
    assert grid_widths(get_profile("full"), "full") == get_profile("full").widths != QUICK_WIDTHS
    assert grid_widths(get_profile("quick"), "full") == QUICK_WIDTHS       # the quick networks are that size
    with pytest.raises(ValueError, match="quick"):
        grid_widths(get_profile("full"), "huge")
