"""Views, split by area: pages, accounts, designs, history, sharing, templates, api."""
