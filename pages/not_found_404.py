import dash

from components.shell import empty_state

dash.register_page(__name__, path="/404", title="Not found · Follow-up Cockpit")


def layout(**_kwargs):
    return empty_state("Page not found", "The address does not lead anywhere in the cockpit.")
