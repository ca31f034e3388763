"""accounts: signing in, and the accounts of the people who run a competition."""
