"""The app's pages: file, title, icon and address of each, for the router and the pages alike."""

from __future__ import annotations

from dataclasses import dataclass

from ui.i18n import N_, _

APP_TITLE = N_("MNIST Softmax Lab")
APP_ICON = "🔢"


@dataclass(frozen=True)
class PageInfo:
    path: str  # the page's script, relative to app.py
    title: str  # in the navigation menu, the tab title and the page's heading (translate: _())
    icon: str
    url_path: str | None  # None: the default page, at the app's root
    blurb: str = ""  # what the Home page's link to it says underneath

    @property
    def heading(self) -> str:
        return f"{self.icon} {_(self.title)}"


HOME = PageInfo("pages/home.py", N_("Home"), "🏠", None)
EXPLORE = PageInfo(
    "pages/explore.py",
    N_("Explore the data"),
    "🔍",
    "explore",
    N_("70,000 digits, their averages and spread"),
)
TRAIN = PageInfo(
    "pages/train.py",
    N_("Train"),
    "🏋️",
    "train",
    N_("a model, live: loss, accuracy and weights move"),
)
WEIGHTS = PageInfo(
    "pages/weights.py",
    N_("Weights"),
    "🧩",
    "weights",
    N_("the ten 28×28 templates the model learned"),
)
DRAW = PageInfo(
    "pages/draw.py",
    N_("Draw a digit"),
    "✏️",
    "draw",
    N_("and see which inked pixels raise which score"),
)
CONFIDENCE = PageInfo(
    "pages/calibration.py",
    N_("Confidence"),
    "🎯",
    "confidence",
    N_("is the model right as often as it says?"),
)
EXPERIMENTS = PageInfo(
    "pages/experiments.py",
    N_("Experiments"),
    "🧪",
    "experiments",
    N_("ready-made runs that each change one setting"),
)
PAGES = (HOME, EXPLORE, TRAIN, WEIGHTS, DRAW, CONFIDENCE, EXPERIMENTS)
