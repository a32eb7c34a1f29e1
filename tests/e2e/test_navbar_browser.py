"""The navbar in a real browser: its links are readable against its background, and the user menu's
Sign out is a form POST with the CSRF token that ends the session."""
from __future__ import annotations

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from sqlalchemy import func, select

from data.models import AuthSession, User
from tests.e2e.test_browser import click, navigating, shoot, sign_in, wait


# --- legibility -------------------------------------------------------------------------------------

CONTRAST = """
const bg = getComputedStyle(document.getElementById('nav')).backgroundColor;
return Array.from(document.querySelectorAll('#nav .navbar-brand, #nav .navbar-nav .nav-link'),
                  el => [el.innerText.trim(), getComputedStyle(el).color, bg]);
"""


def _luminance(css_color, under=(255, 255, 255)):
    r, g, b, *alpha = (float(v) for v in re.findall(r"[\d.]+", css_color))
    a = alpha[0] if alpha else 1.0
    channels = [a * c + (1 - a) * u for c, u in zip((r, g, b), under)]
    lin = [(c / 255) / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def test_navbar_links_are_readable(browser, base_url):
    if "/login" in browser.current_url or not browser.find_elements(By.ID, "nav"):
        sign_in(browser, base_url, "admin", "/admin/users")
    wait(browser).until(EC.visibility_of_element_located((By.ID, "nav-cockpit")))
    for label, color, background in browser.execute_script(CONTRAST):
        bg = tuple(float(v) for v in re.findall(r"[\d.]+", background)[:3])
        lighter, darker = sorted((_luminance(color, bg), _luminance(background)), reverse=True)
        ratio = (lighter + 0.05) / (darker + 0.05)
        assert ratio >= 4.5, f"navbar item {label!r}: {color} on {background} has contrast {ratio:.1f}:1"


# --- sign-out -----------------------------------------------------------------------------------------

def test_sign_out_from_the_user_menu_ends_the_session(browser, base_url, session_factory, shots_dir):
    sign_in(browser, base_url, "sales2", "/")
    click(browser, By.CSS_SELECTOR, "#nav-user .dropdown-toggle")
    wait(browser).until(EC.element_to_be_clickable((By.ID, "nav-logout")))
    shoot(browser, shots_dir, "user-menu")
    navigating(browser.find_element(By.ID, "nav-logout").click)  # a form POST with the CSRF token
    wait(browser).until(EC.presence_of_element_located((By.ID, "username")))
    assert browser.current_url.rstrip("/") == f"{base_url}/login"
    with session_factory() as s:
        sales2 = s.scalar(select(User.id).where(User.username == "sales2"))
        assert s.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.user_id == sales2)) == 0
    navigating(lambda: browser.get(f"{base_url}/leads"))
    wait(browser).until(EC.presence_of_element_located((By.ID, "username")))  # back at the login form
