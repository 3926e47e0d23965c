"""How routing shares its work between transactions and workers, and how often it tries."""

# Mails routed per transaction when workers share a batch: small enough that the other
# workers find chunks to take, large enough that commits cost little.
ROUTING_CHUNK = 10
# Seconds during which a claimed entry belongs to the worker that claimed it, between the
# commit of its claim and the lock of its routing; past it, unlocked, its worker is gone.
CLAIM_GRACE = 10
# A mail on which routing stopped this many times is quarantined rather than tried again.
CRASHES_BEFORE_QUARANTINE = 2
# Minutes before the next attempt, by number of attempts so far.
RETRY_DELAYS = [5, 15, 60, 240, 720]
