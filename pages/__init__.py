"""Dash pages. Each registers itself; layouts are functions; callbacks read, call one service, render."""
