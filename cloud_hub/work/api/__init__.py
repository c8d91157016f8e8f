"""Work's HTTP side: the PDA task API, supervisor operations, putaway rules and bin setup."""
