"""Delivery: relays, destination-domain policies, DKIM keys and the DNS check, the sending
streams' reputation and analytics."""
