"""Webhooks: other systems are told when something happens instead of polling.

- `endpoints`: the organisers' receivers of a competition (URL, events, secret, trusted, active), their
  deliveries and attempts, "send again". One service for the console and the API.
- `outbox`: the reactions to the domain events (wired in `app.subscribers`, in the transaction of the
  change): each event becomes one delivery row per subscribed endpoint, committed or rolled back with the
  change itself. The board policy decides what a frozen or private board may tell (`app.leaderboard.policy`).
- `sender`: the background sender of the application's lifespan: claims due deliveries (one sender per
  delivery, whatever the number of processes), POSTs them signed, retries with back-off.

The contract for receivers (events, bodies, signature, retries, ordering) is in docs/api.md, "Webhooks".
"""
