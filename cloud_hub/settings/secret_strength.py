"""How hard a configured secret is to guess, estimated by zxcvbn (patterns, repeats,
sequences, keyboard walks, dictionary words), not by its length or a list of placeholders.

Rule kept here: a machine secret (signing key, bearer token, broker password) needs an
estimate of at least MACHINE_SECRET_BITS; a password a person chose, at least
CHOSEN_PASSWORD_BITS. 32 × "a" estimates 9 bits; a random 128-bit hex key at least 97.
"""

from __future__ import annotations

import math

# A random 128-bit key (secrets.token_hex(16)) estimated 97-106 bits in 300 draws, 192 bits
# of token_urlsafe(24) 101-106 (zxcvbn counts any unmatched character as 10 guesses): 80
# refuses every patterned key we tried and no random one.
MACHINE_SECRET_BITS = 80.0
CHOSEN_PASSWORD_BITS = 40.0  # zxcvbn: beyond an online attack, slowed by a password hash
ZXCVBN_MAX_CHARS = 72  # zxcvbn refuses longer input; a prefix's estimate is a lower bound
# Words an operator reaches for when inventing a key here: zxcvbn counts them as a dictionary.
CONTEXT_WORDS = ("stockpulse", "hub", "edge", "gateway", "warehouse", "mqtt", "mosquitto",
                 "ledger", "production")


def estimated_bits(secret: str) -> float:
    """log2 of zxcvbn's guess count for the secret (its first 72 characters)."""
    from zxcvbn import zxcvbn  # 50 ms of dictionaries, loaded only when a secret is checked

    guesses = zxcvbn(secret[:ZXCVBN_MAX_CHARS], user_inputs=list(CONTEXT_WORDS))["guesses"]
    return math.log2(float(guesses))


def weakness(secret: str, *, min_bits: float, min_chars: int = 0) -> str | None:
    """Why `secret` is too weak (for an error message that never repeats it), or None."""
    if len(secret) < min_chars:
        return f"it has {len(secret)} characters, fewer than {min_chars}"
    bits = estimated_bits(secret)
    if bits < min_bits:
        return (f"it is guessable (about {bits:.0f} bits by zxcvbn's estimate, "
                f"{min_bits:.0f} needed): use a random value, e.g. "
                "python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    return None
