"""The app's pages: file, title, icon and address of each, for the router and the pages alike."""

from __future__ import annotations

from dataclasses import dataclass

APP_TITLE = "MNIST Softmax Lab"
APP_ICON = "🔢"


@dataclass(frozen=True)
class PageInfo:
    path: str  # the page's script, relative to app.py
    title: str  # in the navigation menu, the tab title and the page's heading
    icon: str
    url_path: str | None  # None: the default page, at the app's root
    blurb: str = ""  # what the Home page's link to it says underneath

    @property
    def heading(self) -> str:
        return f"{self.icon} {self.title}"


HOME = PageInfo("pages/home.py", "Home", "🏠", None)
EXPLORE = PageInfo(
    "pages/explore.py",
    "Explore the data",
    "🔍",
    "explore",
    "70,000 digits, their averages and spread",
)
TRAIN = PageInfo(
    "pages/train.py", "Train", "🏋️", "train", "a model, live: loss, accuracy and weights move"
)
WEIGHTS = PageInfo(
    "pages/weights.py", "Weights", "🧩", "weights", "the ten 28×28 templates the model learned"
)
DRAW = PageInfo(
    "pages/draw.py", "Draw a digit", "✏️", "draw", "and see which pixels vote for which class"
)
PAGES = (HOME, EXPLORE, TRAIN, WEIGHTS, DRAW)
