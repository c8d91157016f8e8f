"""An LLRP 1.0.1 reader emulator that real clients (sllurp) connect to, fed by a scenario."""
