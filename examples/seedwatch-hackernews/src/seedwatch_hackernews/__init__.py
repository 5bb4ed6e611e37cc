"""seedwatch-hackernews: a seedwatch parser plugin for the Hacker News API.

Installing the distribution registers the plugin through the ``seedwatch``
entry point (``hackernews = "seedwatch_hackernews.plugin"``); seedwatch then
reads ``https://hacker-news.firebaseio.com/v0/...`` documents with it.
"""

from seedwatch_hackernews.parser import HackerNewsParser

__version__ = "0.1.0"

__all__ = ["HackerNewsParser", "__version__"]
