"""What every page does first."""

from ui.sidebar import render_sidebar
from ui.state import init_state


def start_page() -> None:
    """Session defaults, a run that ended since the last rerun, and the shared sidebar."""
    init_state()
    render_sidebar()
