"""The public pages (no sign-in; signed tokens are the credentials): subscription forms,
double opt-in, unsubscribe, the preference center and view-online, with their URLs (the
"consent" namespace)."""
